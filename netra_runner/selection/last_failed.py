"""The failures --last-failed and --failed-first start from, remembered as pytest's cache
remembers them: a failed test stays remembered until it passes (or is skipped) or its file
is gone, whatever later runs selected (.netra/last-failed.json)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from netra_runner.reporting.files import write_atomically
from netra_runner.results import CategoryResult, Outcome, Status
from netra_runner.selection.categories import Selection

FAILED = ("failed", "error")
MEMORY = "last-failed.json"
VERSION = 1
# Outcomes that end a remembered failure, as pytest's cache forgets a test that passed.
_GOOD = (Outcome.PASSED, Outcome.SKIPPED, Outcome.XFAILED, Outcome.XPASSED)


def memory_file(root: Path) -> Path:
    return root / ".netra" / MEMORY


@dataclass(frozen=True)
class LastRun:
    """Failed test ids by category; and the categories that failed without a test to blame
    (a command suite, a crashed process), which run again whole."""

    failed: dict[str, list[str]] = field(default_factory=dict)
    broken: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        return not self.failed and not self.broken

    @classmethod
    def read(cls, root: Path, report: Path) -> LastRun:
        """The remembered failures whose files still exist; without a memory (a checkout
        from before it was kept), the last report's."""
        try:
            data = json.loads(memory_file(root).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls.from_report(report)
        if not isinstance(data, dict) or data.get("version") != VERSION:
            return cls.from_report(report)
        tests, broken = data.get("tests"), data.get("broken")
        failed: dict[str, list[str]] = {}
        for nodeid, category in tests.items() if isinstance(tests, dict) else ():
            if isinstance(category, str) and _still_there(root, str(nodeid)):
                failed.setdefault(category, []).append(str(nodeid))
        names = frozenset(str(b) for b in broken) if isinstance(broken, list) else frozenset()
        return cls(failed, names)

    @classmethod
    def from_report(cls, report: Path) -> LastRun:
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

    def after(self, results: Iterable[CategoryResult]) -> LastRun:
        """What is remembered once this run's results are in: what ran and failed is added,
        what ran and passed is forgotten, what did not run stays as it was."""
        tests = {t: c for c, ids in self.failed.items() for t in ids}
        broken = set(self.broken)
        for result in results:
            if result.workers == 0 or result.status is Status.SKIPPED:
                continue
            _fold(result, tests, broken)
        failed: dict[str, list[str]] = {}
        for nodeid, category in tests.items():
            failed.setdefault(category, []).append(nodeid)
        return LastRun(failed, frozenset(broken))

    def write(self, root: Path) -> None:
        tests = {t: c for c, ids in sorted(self.failed.items()) for t in ids}
        text = json.dumps({"version": VERSION, "tests": tests, "broken": sorted(self.broken)})
        with contextlib.suppress(OSError):  # a read-only checkout: nothing is remembered
            write_atomically(memory_file(root), text + "\n")


def _fold(result: CategoryResult, tests: dict[str, str], broken: set[str]) -> None:
    failing = {
        test.parent or test.test_id
        for test in result.tests
        if test.outcome.is_bad and test.outcome is not Outcome.NOT_RUN
    }
    for test in result.tests:
        if test.outcome in _GOOD and test.test_id not in failing:
            tests.pop(test.test_id, None)  # a subtest's pass says nothing of its test
    if result.tests and failing and not any(t.nodeid for t in result.tests):
        # A command suite's tests cannot be run one by one: the category runs again.
        broken.add(result.name)
        return
    tests.update(dict.fromkeys(failing, result.name))
    if result.status is Status.ERROR and not failing:
        broken.add(result.name)
    elif result.status is not Status.ERROR:
        broken.discard(result.name)


def _still_there(root: Path, nodeid: str) -> bool:
    file = nodeid.partition("::")[0]
    return ("/" not in file and not file.endswith(".py")) or (root / file).exists()


def last_failed(selection: Selection, last: LastRun) -> Selection:
    """Like pytest's --lf: the remembered failures; everything when none are remembered."""
    names = {e.name for e in selection.entries}
    failed = {c: ids for c, ids in last.failed.items() if c in names}
    broken = set(last.broken) & names
    if not failed and not broken:
        # pytest's --lf with no known failure among the tests selected: all of them.
        return selection.explained("no failure remembered among them: all of it")
    commands = {e.name for e in selection.entries if not e.category.is_pytest}
    whole = broken | (commands & set(failed))
    return selection.only_tests(failed, whole, "that failed last run", filtered=True)
