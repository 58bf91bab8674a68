"""The most valuable tests that fit in a time budget (--budget): last failures, then the
fastest."""

from __future__ import annotations

from collections.abc import Callable

from netra_runner.selection.categories import Selection


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
