"""The most valuable tests that fit in a time budget (--budget): last failures, then the
fastest."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from netra_runner.errors import NothingToRun
from netra_runner.execution.suite_events import not_run
from netra_runner.results import CategoryResult, RunResult, Status
from netra_runner.selection.categories import Selection


def within_budget(
    selection: Selection,
    tests: dict[str, list[str]],
    weight: Callable[[str], float],
    failed: dict[str, list[str]],
    workers: int,
    seconds: float,
) -> tuple[Selection, str, dict[str, list[str]]]:
    """The most valuable tests that fit: last failures, then the fastest; and those left
    out, by category (reported as not run). Command suites cannot be split or timed ahead,
    so they are left out. Tests none of which fit are no run that passed: an error."""
    failures = {t for ids in failed.values() for t in ids}
    ranked = sorted(
        ((name, test) for name, ids in tests.items() for test in ids),
        key=lambda ct: (ct[1] not in failures, weight(ct[1]), ct[1]),
    )
    kept: dict[str, list[str]] = {}
    used = left = 0.0
    skipped: list[str] = []
    left_out: dict[str, list[str]] = {}
    for name, test in ranked:
        cost = weight(test) / max(workers, 1)
        if used + cost <= seconds:
            kept.setdefault(name, []).append(test)
            used += cost
        else:
            left += cost
            skipped.append(test)
            left_out.setdefault(name, []).append(test)
    if ranked and not kept:
        fastest = min(weight(test) for _, test in ranked) / max(workers, 1)
        raise NothingToRun(
            f"none of the {len(ranked)} tests selected fits the {seconds:g}s budget (the "
            f"fastest takes about {fastest:.0f}s): nothing ran; raise --budget",
            allowed=False,
        )
    commands = [e.name for e in selection.entries if e.skip is None and not e.category.is_pytest]
    running = len(ranked) - len(skipped)
    note = f"budget {seconds:g}s: running {running} of {len(ranked)} tests (about {used:.0f}s)"
    if skipped:
        slowest = ", ".join(skipped[-3:])
        note += f"; left out {len(skipped)} (about {left:.0f}s more), the slowest: {slowest}"
    if commands:
        note += f"; command suites left out: {', '.join(commands)}"
    narrowed = selection.only_tests(kept, set(), f"within a {seconds:g}s budget")
    return narrowed, note, left_out


def with_left_out(run: RunResult, left_out: dict[str, list[str]], reason: str) -> RunResult:
    """The tests the budget left out, as not run in their categories: the closing line
    counts them, and a category none of whose tests fit says why it did not run."""
    if not left_out:
        return run
    by_name = {c.name: c for c in run.categories}
    categories = list(run.categories)
    for name, ids in left_out.items():
        tests = tuple(not_run(name, nodeid, reason) for nodeid in ids)
        if name in by_name:
            index = categories.index(by_name[name])
            categories[index] = dataclasses.replace(
                by_name[name], tests=(*by_name[name].tests, *tests)
            )
        else:
            categories.append(CategoryResult(name, Status.SKIPPED, tests, reason=reason))
    return dataclasses.replace(run, categories=tuple(categories))
