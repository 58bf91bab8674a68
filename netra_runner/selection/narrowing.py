"""What runs, in order: the categories asked for (with the test paths given, and what
they depend on), then narrowed to some of their tests: changed files, last failures, this
machine's shard, a time budget."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from netra_runner.config import Project
from netra_runner.context import RunContext
from netra_runner.execution.worker_budget import budget
from netra_runner.options import RunOptions
from netra_runner.plugin.durations import Durations
from netra_runner.results import Manifest
from netra_runner.selection.budget import within_budget
from netra_runner.selection.categories import Selection, split_names
from netra_runner.selection.changes import narrow_to_changes
from netra_runner.selection.collect import collect
from netra_runner.selection.last_failed import last_failed
from netra_runner.selection.shards import committed, shard
from netra_runner.selection.targets import only_targets

NO_HISTORY = 1.0  # seconds assumed per test when the history knows none at all


@dataclass(frozen=True)
class Narrowed:
    selection: Selection
    notes: tuple[str, ...] = ()  # what to tell the user about what was left out
    shard: Manifest | None = None
    over_budget: dict[str, list[str]] = field(default_factory=dict)  # category -> test ids
    budget: float | None = None


def select(project: Project, options: RunOptions) -> Selection:
    names = split_names(options.categories)
    asked = (options.targets, options.changed, options.changed_since, options.last_failed)
    if not (names or options.all or any(asked)):
        Selection(project.config, ()).require_some()
    explicit = bool(names) or options.all
    selection = Selection.choose(project.config, names, everything=not names)
    if options.targets:
        selection = only_targets(selection, options.targets, options.cwd, project.root, explicit)
    if not options.no_deps:
        selection = selection.with_dependencies()
    return selection.skip_unrunnable(options.real_services, options.narrowing).require_some()


def narrow(context: RunContext, selection: Selection) -> Narrowed:
    """The selection narrowed as asked."""
    options, root = context.options, context.project.root
    if options.changed or options.changed_since:
        selection = narrow_to_changes(selection, root, options.changed_since)
    if options.last_failed:
        selection = last_failed(selection, context.last)
    if not options.shard and options.budget is None:
        return Narrowed(selection)
    workers = budget(options.workers)
    tests = collect(context, selection.entries, workers)  # once, for both
    notes = []
    mine = None
    if options.shard:
        history = committed(root, context.history_file)
        selection, mine = shard(selection, tests, weigher(history), options.shard)
        tests = {e.name: list(e.targets) for e in selection.entries if e.name in tests}
    left_out: dict[str, list[str]] = {}
    if options.budget is not None:
        selection, note, left_out = within_budget(
            selection,
            tests,
            weigher(context.durations),
            context.last.failed,
            workers,
            options.budget,
        )
        notes.append(note)
    return Narrowed(selection, tuple(notes), mine, left_out, options.budget)


def weigher(history: Durations) -> Callable[[str], float]:
    typical = history.typical() or NO_HISTORY
    return lambda test: history.duration(test) or typical
