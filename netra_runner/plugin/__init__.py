"""The code that runs inside the pytest processes netra-run starts: its pytest plugin
(`main`) and what the plugin needs.

Standard library and pytest only (a test fails otherwise): it is imported by every worker
process of every suite, whose environment is the project's, not netra-run's. `agreement`
defines what netra-run and its workers say to each other; both sides use it. netra-run's
side may import from here; nothing here imports from netra-run's side.
"""
