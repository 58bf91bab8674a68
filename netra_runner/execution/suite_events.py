"""A pytest category's own event file, read back into test results."""

from __future__ import annotations

from dataclasses import dataclass, field

from netra_runner.events import Event
from netra_runner.plugin.agreement import WorkerEvent
from netra_runner.results import Attempt, Outcome, TestResult

_OUTCOMES = {
    "passed": Outcome.PASSED,
    "failed": Outcome.FAILED,
    "crashed": Outcome.FAILED,
    "error": Outcome.ERROR,
    "skipped": Outcome.SKIPPED,
    "xfailed": Outcome.XFAILED,
    "xpassed": Outcome.XPASSED,
    "rerun": Outcome.FAILED,
}


@dataclass
class SuiteEvents:
    collected: list[str] = field(default_factory=list)
    attempts: dict[str, list[Event]] = field(default_factory=dict)
    started: list[str] = field(default_factory=list)
    start_times: dict[str, float] = field(default_factory=dict)  # epoch seconds, by test
    collect_errors: list[Event] = field(default_factory=list)
    session_finished: bool = False
    importing: dict[tuple[int, str], None] = field(default_factory=dict)  # (pid, conftest)
    exited: str | None = None  # a conftest that raised SystemExit while imported
    refused_to_start: str | None = None  # pytest_sessionstart raised: its message

    @classmethod
    def of(cls, events: list[Event]) -> SuiteEvents:
        suite = cls()
        for event in events:
            kind = event["event"]
            if kind == WorkerEvent.CLAIMED or (kind == WorkerEvent.COLLECTED and not _pulls(event)):
                # What this process is to run. A restarted process collects only what was
                # left: keep the first order. One that claims as it goes collected all.
                known = set(suite.collected)
                suite.collected += [t for t in event.get("tests", []) if t not in known]
            elif kind == WorkerEvent.TEST_STARTED:
                suite.started.append(event["nodeid"])
                suite.start_times.setdefault(event["nodeid"], float(event.get("t", 0.0)))
            elif kind == WorkerEvent.TEST_FINISHED:
                suite.attempts.setdefault(event["nodeid"], []).append(event)
            elif kind == WorkerEvent.COLLECT_ERROR:
                suite.collect_errors.append(event)
            elif kind == WorkerEvent.SESSION_FINISHED:
                suite.session_finished = True
            elif kind == WorkerEvent.SESSION_FAILED:
                suite.refused_to_start = suite.refused_to_start or event.get("message", "?")
            elif kind == WorkerEvent.CONFTEST_STARTED:
                suite.importing[(event.get("pid", 0), event.get("path", "?"))] = None
            elif kind == WorkerEvent.CONFTEST_EXITED:
                suite.exited = suite.exited or event.get("path", "?")
            elif kind == WorkerEvent.CONFTEST_FINISHED:
                suite.importing.pop((event.get("pid", 0), event.get("path", "?")), None)
        return suite

    @property
    def died_importing(self) -> str | None:
        """A conftest that exited while imported, or whose import never finished: it ended
        its process."""
        return self.exited or next((path for _, path in self.importing), None)

    @property
    def seen(self) -> bool:
        return bool(self.collected or self.attempts or self.collect_errors)

    def finished(self, nodeid: str) -> bool:
        attempts = self.attempts.get(nodeid, [])
        return bool(attempts) and attempts[-1]["outcome"] != "rerun"

    def running(self, crashed: set[str]) -> str | None:
        """The test that had started and not finished when the process died, if any."""
        unfinished = [n for n in self.started if not self.finished(n) and n not in crashed]
        return unfinished[-1] if unfinished else None

    def unfinished(self, crashed: set[str]) -> list[str]:
        return [n for n in self.collected if not self.finished(n) and n not in crashed]

    def results(self, category: str) -> list[TestResult]:
        tests = [_collect_error(category, e) for e in self.collect_errors]
        for nodeid, attempts in self.attempts.items():
            if self.finished(nodeid):
                tests.append(_result(category, attempts))
        return tests


def _pulls(event: Event) -> bool:
    """A collected event of a process that claims its tests as it goes (its `claimed`
    events say which are its)."""
    said = event.get("slice")
    return isinstance(said, dict) and bool(said.get("pull"))


def junit_names(nodeid: str) -> tuple[str, str]:
    """pytest's JUnit naming: tests/test_a.py::TestX::test_y[p] -> ('tests.test_a.TestX',
    'test_y[p]'). As pytest does, the parameters are set apart first: they may hold '::'."""
    address, bracket, params = nodeid.partition("[")
    path, *rest = address.split("::")
    names = [path.replace("/", ".").removesuffix(".py"), *(p for p in rest if p != "()")]
    names[-1] += bracket + params
    return ".".join(names[:-1]), names[-1]


def not_run(category: str, nodeid: str, reason: str) -> TestResult:
    return synthesized(category, nodeid, Outcome.NOT_RUN, reason)


def timed_out(category: str, nodeid: str, message: str, stacks: str) -> TestResult:
    return synthesized(category, nodeid, Outcome.FAILED, message, details=stacks)


def crashed(category: str, nodeid: str, how: str, output: str) -> TestResult:
    message = f"worker crashed while running this test ({how})"
    return synthesized(category, nodeid, Outcome.FAILED, message, output=output)


def synthesized(
    category: str, nodeid: str, outcome: Outcome, message: str, details: str = "", output: str = ""
) -> TestResult:
    """A result the test's own process could not report."""
    classname, name = junit_names(nodeid)
    return TestResult(
        category,
        classname,
        name,
        outcome,
        file=nodeid.split("::")[0],
        message=message,
        details=details,
        output=output,
        nodeid=nodeid,
    )


def _result(category: str, attempts: list[Event]) -> TestResult:
    final = attempts[-1]
    classname, name = junit_names(final["nodeid"])
    reruns = tuple(
        Attempt(
            e.get("message", ""),
            e.get("details", ""),
            e.get("output", ""),
            Outcome.FAILED if e.get("phase") == "call" else Outcome.ERROR,
            _began(e),
            float(e.get("duration", 0.0)),
            e.get("worker", ""),
        )
        for e in attempts[:-1]
    )
    return TestResult(
        category=category,
        classname=classname,
        name=name,
        outcome=_OUTCOMES.get(final["outcome"], Outcome.ERROR),
        duration=float(final.get("duration", 0.0)),
        file=final.get("file"),
        line=final.get("line"),
        message=final.get("message", ""),
        details=final.get("details", ""),
        output=final.get("output", ""),
        reruns=reruns,
        worker=final.get("worker", ""),
        nodeid=final["nodeid"],
        started=_began(attempts[0]),
        last_started=_began(final) if reruns else None,
        subtests_passed=int(final.get("subtests_passed") or 0),
        parent=str(final.get("parent") or ""),
    )


def _began(attempt: Event) -> float | None:
    finished = attempt.get("t")
    if not isinstance(finished, int | float):
        return None
    return float(finished) - float(attempt.get("duration", 0.0))


def _collect_error(category: str, event: Event) -> TestResult:
    file = event.get("nodeid") or "(session)"
    classname, name = junit_names(file)
    return TestResult(
        category,
        classname,
        name,
        Outcome.ERROR,
        file=file,
        message=event.get("message", ""),
        details=event.get("details", ""),
        nodeid=event.get("nodeid") or "",
    )
