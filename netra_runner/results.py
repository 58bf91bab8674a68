"""Results are values: tests, categories and the run, reduced to one exit code at the end."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import Enum

from netra_runner.cover.result import CoverageResult
from netra_runner.errors import ExitCode

SUITE_ERROR = "(suite)"  # the test name of the one error a suite that broke as a whole is


class Outcome(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"
    XFAILED = "xfailed"  # failed as its xfail mark expected
    XPASSED = "xpassed"  # passed despite a (non-strict) xfail mark
    NOT_RUN = "not run"  # collected, never finished: the category was stopped or killed
    INFRA = "infrastructure"  # failed while a service it used was down: not the test's fault

    @property
    def is_bad(self) -> bool:
        return self in (Outcome.FAILED, Outcome.ERROR, Outcome.INFRA)


class Status(str, Enum):
    """A category's status, from its tests and its process."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"  # the suite itself broke: collection error, crash, unreadable report
    SKIPPED = "skipped"  # never started: needs services, a gate failed, not narrowable
    NO_TESTS = "no tests"
    INTERRUPTED = "interrupted"  # by Ctrl-C or SIGTERM
    STOPPED = "stopped"  # by --fail-fast or a failed service, before it finished


@dataclass(frozen=True)
class Manifest:
    """What one shard was given, so a merge can prove the shards add up to the selection:
    its place (K of N), a fingerprint of the whole partition, and its own test ids."""

    index: int
    count: int
    fingerprint: str  # every shard that computed the same partition has the same one
    selection_size: int  # tests over all shards
    selection_digest: str  # of every selected test id, whichever shard holds it
    tests: tuple[str, ...]


@dataclass(frozen=True)
class Attempt:
    """A failed attempt that was retried."""

    message: str
    details: str = ""
    output: str = ""
    outcome: Outcome = Outcome.FAILED
    started: float | None = None  # epoch seconds
    duration: float = 0.0
    worker: str = ""


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a pytest test class

    category: str
    classname: str
    name: str
    outcome: Outcome
    duration: float = 0.0
    file: str | None = None
    line: int | None = None
    message: str = ""
    details: str = ""  # the traceback or failure text
    output: str = ""  # captured output, kept for failures only
    reruns: tuple[Attempt, ...] = ()  # earlier failed attempts, oldest first
    worker: str = ""
    nodeid: str = ""  # pytest's id; empty for a command suite's tests
    started: float | None = None  # epoch seconds when the first attempt began
    last_started: float | None = None  # when the final attempt began, if it was rerun
    subtests_passed: int = 0  # its passed subtests (pytest counts them apart)
    parent: str = ""  # a subtest's own test (the id --last-failed runs again)
    after_restart: bool = False  # ran again after its service went down and was restarted

    @property
    def flaky(self) -> bool:
        return self.outcome is Outcome.PASSED and bool(self.reruns)

    @property
    def test_id(self) -> str:
        """pytest's own id where there is one: JUnit's names cannot be split back into it."""
        if self.nodeid:
            return self.nodeid
        return f"{self.classname}::{self.name}" if self.classname else self.name

    @property
    def location(self) -> str:
        if self.file is None:
            return self.test_id
        return f"{self.file}:{self.line}" if self.line is not None else self.file


@dataclass(frozen=True)
class CategoryPhases:
    """When a category reached each step (epoch seconds): the gaps on its timeline lanes."""

    waiting: float | None = None  # ready to start, but the worker budget was in use
    waiting_reason: str = ""
    started: float | None = None  # its process was started
    collected: float | None = None  # pytest had collected its tests
    finished: float | None = None


@dataclass(frozen=True)
class CategoryResult:
    name: str
    status: Status
    tests: tuple[TestResult, ...] = ()
    duration: float = 0.0
    reason: str = ""  # why skipped, why errored
    output_tail: str = ""  # the process's last output lines, kept for errors only
    services: tuple[str, ...] = ()
    workers: int = 0  # 0: never started
    phases: CategoryPhases | None = None
    refused: bool = False  # pytest refused its command line: the run is a usage error
    warnings: int = 0  # pytest's warnings count, over the category's processes

    def count(self, outcome: Outcome) -> int:
        return sum(1 for test in self.tests if test.outcome is outcome)

    @property
    def ok(self) -> bool:
        return self.status is Status.PASSED

    @property
    def all_skipped(self) -> bool:
        """Every test skipped: none ran, whatever the status says (a misspelt export can
        skip a whole services suite)."""
        return bool(self.tests) and all(t.outcome is Outcome.SKIPPED for t in self.tests)

    def skip_reason(self) -> str:
        """The most common reason its tests were skipped."""
        reasons = Counter(t.message for t in self.tests if t.outcome is Outcome.SKIPPED)
        return reasons.most_common(1)[0][0] if reasons else ""


@dataclass(frozen=True)
class ServiceTiming:
    name: str
    seconds_to_healthy: float
    reused: bool
    started_at: float = 0.0  # epoch seconds
    setup_seconds: float = 0.0  # its set-up commands, after healthy
    down_at: float | None = None  # epoch seconds it went down mid-run (its last good check)
    down_reason: str = ""


@dataclass(frozen=True)
class RunResult:
    categories: tuple[CategoryResult, ...]
    duration: float
    service_error: str | None = None  # why services stopped the run (exit 3)
    services: tuple[ServiceTiming, ...] = ()
    interrupted: bool = False
    started_at: float = 0.0  # epoch seconds
    service_logs: dict[str, str] = field(default_factory=dict)  # tails, for failing categories
    shard: Manifest | None = None  # what this run was given, when it is one shard of N
    notes: tuple[str, ...] = ()  # what went wrong around the tests, said under the summary
    coverage: CoverageResult | None = None  # --cov: the combined total and its gate

    def columns(self) -> list[Outcome]:
        """The outcomes a summary table shows: the usual four, the rare ones when present."""
        usual = [Outcome.PASSED, Outcome.FAILED, Outcome.SKIPPED, Outcome.ERROR]
        totals = self.totals()
        rare = (Outcome.XFAILED, Outcome.XPASSED, Outcome.NOT_RUN, Outcome.INFRA)
        return usual + [o for o in rare if totals[o]]

    def subtests_passed(self) -> int:
        return sum(t.subtests_passed for cat in self.categories for t in cat.tests)

    def totals(self) -> Counter[Outcome]:
        return Counter(test.outcome for cat in self.categories for test in cat.tests)

    @property
    def flaky(self) -> list[TestResult]:
        return [t for cat in self.categories for t in cat.tests if t.flaky]

    @property
    def failures(self) -> list[TestResult]:
        return [t for cat in self.categories for t in cat.tests if t.outcome.is_bad]

    def exit_code(self) -> ExitCode:
        statuses = {cat.status for cat in self.categories}
        if self.service_error:
            return ExitCode.SERVICES
        if self.interrupted:
            return ExitCode.INTERRUPTED
        if any(cat.refused for cat in self.categories):
            return ExitCode.USAGE  # the reason is pytest's own message
        if statuses & {Status.FAILED, Status.ERROR}:
            return ExitCode.TESTS_FAILED
        totals = self.totals()
        ran = sum(totals.values()) - totals[Outcome.NOT_RUN]
        if ran == totals[Outcome.SKIPPED]:  # none, or every one skipped
            return ExitCode.NOTHING_RAN
        if self.coverage is not None and self.coverage.failed:
            return ExitCode.TESTS_FAILED  # the closing line says it is coverage alone
        return ExitCode.OK
