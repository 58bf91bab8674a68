"""Some of the selected tests: one shard of N (--shard), or the last run's failures."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
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
from netra_runner.sharding import Manifest, manifest, parse, partition

COMMAND_SUITE = "(command)"  # a command suite's one unit: it cannot be split
NO_HISTORY = 1.0  # seconds assumed per test when the history knows none at all
GIT_TIMEOUT = 30.0


@dataclass(frozen=True)
class Narrowed:
    selection: Selection
    notes: tuple[str, ...] = ()  # what to tell the user about what was left out
    shard: Manifest | None = None


def narrow(project: Project, selection: Selection, options: RunOptions) -> Narrowed:
    """The selection narrowed as asked."""
    if options.changed or options.changed_since:
        selection = narrow_to_changes(selection, project.root, options.changed_since)
    if options.last_failed:
        selection = last_failed(selection, options.report_paths(project.root).json)
    if not options.shard and options.budget is None:
        return Narrowed(selection)
    workers = budget(options.workers)
    tests = collect(project, selection.entries, options, workers)  # once, for both
    weight = _weigher(Durations.load(durations_file(project)))
    notes = []
    mine = None
    if options.shard:
        selection, mine = shard(selection, tests, _weigher(committed(project)), options.shard)
        tests = {e.name: list(e.targets) for e in selection.entries if e.name in tests}
    if options.budget is not None:
        failed = failures_in(options.report_paths(project.root).json)[0]
        selection, note = within_budget(selection, tests, weight, failed, workers, options.budget)
        notes.append(note)
    return Narrowed(selection, tuple(notes), mine)


def committed(project: Project) -> Durations:
    """The durations history as committed at HEAD: the one copy every shard of a commit
    reads alike, however their caches, retries or earlier shards left the working copy
    (docs/ci.md). Without a committed history every test weighs the same."""
    relative = durations_file(project).relative_to(project.root).as_posix()
    try:
        shown = subprocess.run(
            ["git", "show", f"HEAD:./{relative}"],
            cwd=project.root,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return Durations()
    if shown.returncode != 0:
        return Durations()
    return Durations.parse(shown.stdout.decode("utf-8", errors="replace"))


def _weigher(history: Durations) -> Callable[[str], float]:
    typical = history.typical() or NO_HISTORY
    return lambda test: history.duration(test) or typical


def shard(
    selection: Selection,
    collected: dict[str, list[str]],
    weight: Callable[[str], float],
    value: str,
) -> tuple[Selection, Manifest]:
    """This shard's part of the selection (empty is fine: its report still says it was
    there), and its manifest."""
    try:
        k, n = parse(value)
    except ValueError as exc:
        raise UsageError(f"--shard: {exc}") from None
    tests = dict(collected)
    for entry in selection.entries:
        if entry.skip is None and not entry.category.is_pytest:
            tests[entry.name] = [f"{entry.name}::{COMMAND_SUITE}"]
    services = {e.name for e in selection.entries if e.category.services}
    shards = partition(tests, services, weight, n)
    mine = {name: shards[k - 1].tests_of(name) for name in tests}
    whole = {name for name, ids in mine.items() if ids and ids[0].endswith(COMMAND_SUITE)}
    if k == 1:  # what cannot run is said once, by the first shard
        whole |= {e.name for e in selection.entries if e.skip is not None}
    # Each shard sees only its own results: a gate in another shard cannot hold this one back.
    narrowed = selection.without_gates().only_tests(mine, whole, f"in shard {k}/{n}", empty=True)
    return narrowed, manifest(shards, k)


def within_budget(
    selection: Selection,
    tests: dict[str, list[str]],
    weight: Callable[[str], float],
    failed: dict[str, list[str]],
    workers: int,
    seconds: float,
) -> tuple[Selection, str]:
    """The most valuable tests that fit: last failures, then the fastest. Command suites
    cannot be split or timed ahead, so they are left out."""
    failures = {t for ids in failed.values() for t in ids}
    ranked = sorted(
        ((name, test) for name, ids in tests.items() for test in ids),
        key=lambda ct: (ct[1] not in failures, weight(ct[1]), ct[1]),
    )
    kept: dict[str, list[str]] = {}
    used = left = 0.0
    skipped: list[str] = []
    for name, test in ranked:
        cost = weight(test) / max(workers, 1)
        if used + cost <= seconds:
            kept.setdefault(name, []).append(test)
            used += cost
        else:
            left += cost
            skipped.append(test)
    commands = [e.name for e in selection.entries if e.skip is None and not e.category.is_pytest]
    running = len(ranked) - len(skipped)
    note = f"budget {seconds:g}s: running {running} of {len(ranked)} tests (about {used:.0f}s)"
    if skipped:
        slowest = ", ".join(skipped[-3:])
        note += f"; left out {len(skipped)} (about {left:.0f}s more), the slowest: {slowest}"
    if commands:
        note += f"; command suites left out: {', '.join(commands)}"
    return selection.only_tests(kept, set(), f"within a {seconds:g}s budget"), note


def last_failed(selection: Selection, report: Path) -> Selection:
    """Like pytest's --lf: the previous run's failures; everything when none are recorded."""
    failed, broken = failures_in(report)
    if not failed and not broken:
        return selection
    commands = {e.name for e in selection.entries if not e.category.is_pytest}
    whole = broken | (commands & set(failed))
    return selection.only_tests(failed, whole, "that failed last run")
