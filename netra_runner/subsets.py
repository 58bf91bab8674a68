"""Some of the selected tests: one shard of N (--shard), or the last run's failures."""

from __future__ import annotations

from pathlib import Path

from netra_runner.changes import narrow_to_changes
from netra_runner.collect import collect
from netra_runner.config import Project
from netra_runner.errors import UsageError
from netra_runner.execution.history import Durations
from netra_runner.execution.workers import budget
from netra_runner.last_run import failures_in
from netra_runner.options import RunOptions
from netra_runner.plan import durations_file
from netra_runner.selection import Selection
from netra_runner.sharding import parse, partition

COMMAND_SUITE = "(command)"  # a command suite's one unit: it cannot be split
NO_HISTORY = 1.0  # seconds assumed per test when the history knows none at all


def narrow(project: Project, selection: Selection, options: RunOptions) -> Selection:
    if options.changed or options.changed_since:
        selection = narrow_to_changes(selection, project.root, options.changed_since)
    if options.last_failed:
        selection = last_failed(selection, options.report_paths(project.root).json)
    if options.shard:
        selection = shard(project, selection, options)
    return selection


def shard(project: Project, selection: Selection, options: RunOptions) -> Selection:
    try:
        k, n = parse(options.shard or "")
    except ValueError as exc:
        raise UsageError(f"--shard: {exc}") from None
    tests = collect(project, selection.entries, options, budget(options.workers))
    for entry in selection.entries:
        if entry.skip is None and not entry.category.is_pytest:
            tests[entry.name] = [f"{entry.name}::{COMMAND_SUITE}"]
    history = Durations.load(durations_file(project))
    typical = history.typical() or NO_HISTORY
    services = {e.name for e in selection.entries if e.category.services}
    shards = partition(tests, services, lambda t: history.duration(t) or typical, n)
    mine = {name: shards[k - 1].tests_of(name) for name in tests}
    whole = {name for name, ids in mine.items() if ids and ids[0].endswith(COMMAND_SUITE)}
    if k == 1:  # what cannot run is said once, by the first shard
        whole |= {e.name for e in selection.entries if e.skip is not None}
    # Each shard sees only its own results: a gate in another shard cannot hold this one back.
    return selection.without_gates().only_tests(mine, whole, f"in shard {k}/{n}")


def last_failed(selection: Selection, report: Path) -> Selection:
    """Like pytest's --lf: the previous run's failures; everything when none are recorded."""
    failed, broken = failures_in(report)
    if not failed and not broken:
        return selection
    commands = {e.name for e in selection.entries if not e.category.is_pytest}
    whole = broken | (commands & set(failed))
    return selection.only_tests(failed, whole, "that failed last run")
