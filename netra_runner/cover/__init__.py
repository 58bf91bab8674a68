"""Coverage across categories, workers and shards (issue 21, in progress): coverage.py
measures each pytest process; netra-run combines the data files once per run.

Done: worker.py (started by the plugin when NETRA_COVERAGE is set; the xdist controller is
not measured; a process coverage.py already measures is left alone; relative files, so
shards combine) and combine.py (combine, Cobertura XML and JSON through coverage.py, per-file
categories from the static contexts, the gate through coverage.py's own should_fail_under).

Not yet: the --cov/--cov-fail-under flags (command_line.py must treat --cov's value as
optional, as pytest-cov's argparse does), NETRA_COVERAGE in each pytest job's env (data in
reports/categories/<name>/coverage/, cleared before the run), coverage.fail_under in
categories.yaml, `coverage: path` for command suites, the total in the closing line,
report.json, the HTML and the step summary, the gate in RunResult.exit_code, report merge
combining each shard's reports/.coverage, coverage.py as a dependency (or an extra), docs.
"""
