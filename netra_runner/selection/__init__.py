"""What decides which tests run, module by module:

- categories: the categories asked for and what they depend on, and why each is skipped;
- targets: paths and node ids given on the command line, in the categories that hold them;
- changes, imports: the categories a change touches, through the import graph;
- last_failed: the previous run's failures (--last-failed, --failed-first);
- collect: the test ids each category holds, without running them;
- partition, shards: this machine's part of a sharded run;
- budget: the most valuable tests that fit in a time budget;
- narrowing: the steps above in order, from a selection to what runs.
"""
