"""--cov: coverage across categories, workers and shards (coverage.py does the measuring,
the combining and the reports; nothing of its logic is written again here).

- worker.py: inside each pytest process, started by the plugin before the conftests
- settings.py: what is measured and the gate, resolved once per run
- measured.py: after the run, which categories left data; combine.py combines it
- shards.py: `report merge` combines the shards' data and gates the merged total
- touches.py: which categories ran which files, for --changed and --plan
- result.py: the combined result as values
"""
