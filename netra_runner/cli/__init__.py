"""The command line: the `netra-run` command, its flags and help, and its subcommands
(init, doctor, hooks, services, report, history, images)."""
