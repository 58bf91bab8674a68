"""What the previous run left in its report.json: the failures --last-failed and
--failed-first start from."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from netra_runner.selection.categories import Selection

FAILED = ("failed", "error")


@dataclass(frozen=True)
class LastRun:
    """Failed test ids by category; and the categories that failed without a test to blame
    (a command suite, a crashed process), which run again whole."""

    failed: dict[str, list[str]] = field(default_factory=dict)
    broken: frozenset[str] = frozenset()

    @classmethod
    def read(cls, report: Path) -> LastRun:
        try:
            categories = json.loads(report.read_text(encoding="utf-8"))["categories"]
        except (OSError, ValueError, KeyError, TypeError):
            return cls()
        failed: dict[str, list[str]] = {}
        broken: set[str] = set()
        for category in categories:
            tests = category.get("tests", [])
            # A failed subtest runs again as its test.
            ids = [t.get("parent") or t["id"] for t in tests if t.get("outcome") in FAILED]
            bad = list(dict.fromkeys(ids))
            if bad:
                failed[category["name"]] = bad
            elif category.get("status") == "error":
                broken.add(category["name"])
        return cls(failed, frozenset(broken))


def last_failed(selection: Selection, last: LastRun) -> Selection:
    """Like pytest's --lf: the previous run's failures; everything when none are recorded."""
    if not last.failed and not last.broken:
        return selection
    commands = {e.name for e in selection.entries if not e.category.is_pytest}
    whole = set(last.broken) | (commands & set(last.failed))
    return selection.only_tests(last.failed, whole, "that failed last run")
