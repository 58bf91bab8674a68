"""The event file a pytest process writes (agreement.WorkerEvent): one JSON line a
collected set, collection error and test attempt, appended whole."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netra_runner.plugin import agreement as agreed
from netra_runner.plugin.agreement import WorkerEvent
from netra_runner.plugin.nodeids import rebase
from netra_runner.plugin.slicing import Slicing
from netra_runner.plugin.subtests import description, is_subtest
from netra_runner.plugin.subtests import outcome as subtest_outcome
from netra_runner.plugin.tracebacks import error_lines
from netra_runner.plugin.watchdog import expired


class EventFile:
    """Appends whole lines with one write each: xdist's workers and controller share the file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def emit(self, event: str, **fields: Any) -> None:
        line = json.dumps({"t": round(time.time(), 4), "event": event, **fields}) + "\n"
        os.write(self.fd, line.encode())

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        os.close(self.fd)


class WorkerStarts(EventFile):
    def __init__(self, path: Path, worker: str, base: str = ".") -> None:
        super().__init__(path)
        self.worker = worker
        self.base = base

    def pytest_runtest_logstart(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        self.emit(WorkerEvent.TEST_STARTED, nodeid=rebase(nodeid, self.base), worker=self.worker)


class EventWriter(EventFile):
    """Writes one JSON line per event; lives in the process that sees every report."""

    def __init__(
        self, path: Path, base: str = ".", starts: bool = True, sliced: Slicing | None = None
    ) -> None:
        super().__init__(path)
        self.base = base
        self.starts = starts  # False under xdist: the workers write their own starts
        self.sliced = sliced
        self.worker = sliced.worker if sliced is not None else "main"
        self.attempts: dict[tuple[str, int], list[pytest.TestReport]] = {}
        # By test, not attempt: a subtest's report carries no attempt; the test's teardown
        # closes each attempt's count.
        self.subtests_passed: dict[str, int] = {}
        self.collected = False
        self.warnings = 0

    @pytest.hookimpl(wrapper=True)
    def pytest_sessionstart(self, session: pytest.Session) -> Iterator[None]:
        """A conftest that refuses to start (`raise session.Failed(...)`, as suites do on
        finding a previous run's state) makes pytest exit silently: its words are kept."""
        try:
            return (yield)
        except KeyboardInterrupt:
            raise  # an interrupt (netra-run stopping it) is no refusal of the suite's
        except BaseException as exc:
            self.emit(WorkerEvent.SESSION_FAILED, message=f"{type(exc).__name__}: {exc}"[:2000])
            raise

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        # Only where tests were collected here: the xdist controller collects nothing.
        self._collected([rebase(item.nodeid, self.base) for item in session.items])

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self._collected([rebase(nodeid, self.base) for nodeid in ids])

    def _collected(self, ids: list[str]) -> None:
        if not self.collected:
            self.collected = True
            shares = {"slice": self.sliced.collected} if self.sliced is not None else {}
            self.emit(WorkerEvent.COLLECTED, tests=ids, **shares)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        nodeid = rebase(report.nodeid, self.base)
        if report.failed:
            self.emit(
                WorkerEvent.COLLECT_ERROR,
                nodeid=nodeid,
                message=f"collection error in {nodeid or 'the session'}",
                details=error_lines(report.longreprtext),
            )
        elif report.skipped:
            # A module skipped while collected (pytest.importorskip, allow_module_level):
            # one skip in pytest's count and its JUnit, under the module's id.
            self.emit(WorkerEvent.TEST_FINISHED, **_skipped_module(report, nodeid))

    def pytest_runtest_logstart(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        if self.starts:
            self.emit(
                WorkerEvent.TEST_STARTED, nodeid=rebase(nodeid, self.base), worker=self.worker
            )

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        attempt = getattr(report, "netra_attempt", 1)
        key = (report.nodeid, attempt)
        if is_subtest(report):
            self._subtest(report, key)
            return
        self.attempts.setdefault(key, []).append(report)
        if _when(report) in ("teardown", "???"):  # "???": xdist's report for a crashed worker
            summary = summarize(self.attempts.pop(key), attempt, self.base, self.worker)
            summary["subtests_passed"] = self.subtests_passed.pop(report.nodeid, 0)
            if summary["outcome"] == "crashed":
                summary |= self._timed_out(summary)
            self.emit(WorkerEvent.TEST_FINISHED, **summary)

    def _subtest(self, report: pytest.TestReport, key: tuple[str, int]) -> None:
        """A passed subtest is counted on its test; any other is a result of its own."""
        if subtest_outcome(report) == "passed":
            self.subtests_passed[report.nodeid] = self.subtests_passed.get(report.nodeid, 0) + 1
            return
        summary = summarize([report], key[1], self.base, self.worker)
        parent = summary["nodeid"]
        summary |= {
            "nodeid": f"{parent} {getattr(report, 'netra_subtest', None) or description(report)}",
            "outcome": subtest_outcome(report),
            "parent": parent,
            "subtest": True,
        }
        self.emit(WorkerEvent.TEST_FINISHED, **summary)

    def _timed_out(self, summary: dict[str, Any]) -> dict[str, Any]:
        """A worker ended by its watchdog: the test timed out; it did not crash."""
        found = expired(agreed.watchdog_file(self.path, summary["worker"]))
        if found is None or found.nodeid != summary["nodeid"]:
            return {}
        return {"outcome": "failed", "message": found.message, "details": found.stacks}

    def pytest_warning_recorded(self) -> None:
        self.warnings += 1  # pytest's "N warnings" in its summary

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.emit(WorkerEvent.SESSION_FINISHED, exitstatus=int(exitstatus), warnings=self.warnings)


NO_BODY = "its set-up ran, its body never did (--setup-only, --setup-plan or a plugin)"


def summarize(
    reports: list[pytest.TestReport], attempt: int, base: str = ".", worker: str = "main"
) -> dict[str, Any]:
    """One attempt's setup/call/teardown reports as one outcome."""
    first = reports[0]
    bad = next((r for r in reports if r.failed or _outcome(r) == "rerun"), None)
    skipped = next((r for r in reports if r.skipped), None)
    xpassed = next((r for r in reports if r.passed and hasattr(r, "wasxfail")), None)
    outcome = _bad_outcome(bad) if bad is not None else _good_outcome(skipped, xpassed)
    body_ran = any(r.when == "call" for r in reports)
    if outcome == "passed" and not body_ran:  # --setup-only, --setup-plan, a plugin's doing
        outcome = "not run"
    shown = bad or skipped or xpassed
    fspath, line, _ = first.location
    node = getattr(first, "node", None)
    return {
        "nodeid": rebase(first.nodeid, base),
        "outcome": outcome,
        "attempt": attempt,
        "duration": round(sum(r.duration for r in reports), 4),
        "setup": round(sum(r.duration for r in reports if r.when == "setup"), 4),
        "worker": node.gateway.id if node is not None else worker,
        "file": os.path.normpath(Path(base, fspath)),
        "line": None if line is None else line + 1,
        "message": _message(shown) if shown is not None else _no_message(outcome),
        "details": _without_worker_line(bad.longreprtext) if bad is not None else "",
        "phase": str(bad.when) if bad is not None else "",
        "output": _output(reports) if bad is not None else "",
    }


def _good_outcome(skipped: pytest.TestReport | None, xpassed: pytest.TestReport | None) -> str:
    """pytest's own words: a skip under an xfail mark is 'xfailed' (it failed as expected)."""
    if skipped is not None:
        return "xfailed" if hasattr(skipped, "wasxfail") else "skipped"
    return "xpassed" if xpassed is not None else "passed"


def _no_message(outcome: str) -> str:
    return NO_BODY if outcome == "not run" else ""


def _skipped_module(report: pytest.CollectReport, nodeid: str) -> dict[str, Any]:
    where = report.longrepr if isinstance(report.longrepr, tuple) else (nodeid, None, "")
    _, line, reason = where
    return {
        "nodeid": nodeid,
        "outcome": "skipped",
        "attempt": 1,
        "duration": 0.0,
        "setup": 0.0,
        "worker": "main",
        "file": nodeid.split("::")[0],
        "line": None if line is None else line + 1,
        "message": str(reason).removeprefix("Skipped: "),
        "details": "",
        "phase": "collect",
        "output": "",
        "module": True,
    }


def _when(report: pytest.TestReport) -> str:
    return str(report.when)  # pytest's type omits xdist's "???" (a crashed worker)


def _outcome(report: pytest.TestReport) -> str:
    return str(report.outcome)  # pytest's type omits "rerun" (an attempt that is retried)


def _bad_outcome(report: pytest.TestReport) -> str:
    if _outcome(report) == "rerun":
        return "rerun"
    if _when(report) == "???":
        return "crashed"
    return "failed" if report.when == "call" else "error"


def _message(report: pytest.TestReport) -> str:
    if _when(report) == "???":
        node = getattr(report, "node", None)
        return f"worker {node.gateway.id if node else ''} crashed while running this test"
    if hasattr(report, "wasxfail") and not report.failed:  # its reason, as pytest's JUnit
        return str(report.wasxfail).removeprefix("reason: ")
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    crash = getattr(report.longrepr, "reprcrash", None)
    said = getattr(report, "netra_message", None) or (crash and str(crash.message))
    if said:
        first = said.splitlines()[0]
        return first.split("TestTimeout: ", 1)[-1]  # "timeout after 2s", without the class path
    return report.longreprtext.strip().splitlines()[-1] if report.longreprtext.strip() else ""


def _output(reports: list[pytest.TestReport]) -> str:
    # A later phase's report repeats the sections of the phases before it: keep each once.
    seen = dict.fromkeys((title, text) for r in reports for title, text in r.sections)
    sections = [f"--- {title} ---\n{text.rstrip()}" for title, text in seen if text.strip()]
    return "\n".join(sections)[-4000:]


def _without_worker_line(text: str) -> str:
    """xdist starts a worker's tracebacks with '[gw0] linux -- Python ...': noise here."""
    first, _, rest = text.partition("\n")
    return rest if first.startswith("[gw") else text
