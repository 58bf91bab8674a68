"""Which category starts next, and when the run stops: the category scheduler's
bookkeeping, apart from what acts on it (execution/runner.py starts processes, follows
events and prints). No processes, threads or clocks here: it is tested with fakes, as the
per-test scheduler is.

A category starts once its gates (the categories it depends on) passed, its services are
ready and the worker budget has room for it; it is skipped, with the reason, when the run
was stopped, a gate did not pass or a service it needs went down for good. The run stops
after `stop_after` failures (-x, --maxfail), on an interrupt, or when a service fails.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from netra_runner.plan import Job
from netra_runner.results import CategoryResult, Status


@dataclass(frozen=True)
class Wait:
    """Not yet: a gate has not finished, or its services are not ready."""


@dataclass(frozen=True)
class WaitForWorkers:
    """Ready, but the worker budget is in use; `first`: said for the first time."""

    reason: str
    first: bool


@dataclass(frozen=True)
class Skip:
    result: CategoryResult


@dataclass(frozen=True)
class Start:
    env: dict[str, str]  # its services' exports


@dataclass(frozen=True)
class Stop:
    """A service the category needs failed: the run stops."""

    reason: str
    error: str


Decision = Wait | WaitForWorkers | Skip | Start | Stop


@dataclass(frozen=True)
class Services:
    """What a category's services are now, as the runner found them: `exports` once the
    ones it waits for are ready, else `failed` (name, message) or neither (not ready)."""

    exports: dict[str, str] | None = None
    failed: tuple[str, str] | None = None


READY_WITHOUT_SERVICES = Services(exports={})


@dataclass
class Schedule:
    jobs: list[Job]
    budget: int
    stop_after: int | None = None  # failures after which everything stops
    results: dict[str, CategoryResult] = field(default_factory=dict)
    running: dict[str, int] = field(default_factory=dict)  # category -> workers it holds
    stopped: str | None = None  # why nothing more may start
    failures: int = 0
    failing: set[str] = field(default_factory=set)  # categories with a failed test counted
    said_waiting: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        names = {job.name for job in self.jobs}
        # Waiting for a gate that is not in the run would wait forever: such a gate is no gate.
        self.jobs = [
            dataclasses.replace(job, gates=tuple(g for g in job.gates if g in names))
            for job in self.jobs
        ]
        self.pending = list(self.jobs)
        self.by_name = {job.name: job for job in self.jobs}
        self.budget = max(self.budget, 1)

    @property
    def busy(self) -> bool:
        return bool(self.pending or self.running)

    def decide(self, job: Job, gone: str | None, services: Services, used: int) -> Decision:
        """What to do with a pending job. `gone`: why a service it needs is down for good;
        `used`: workers the running categories hold now."""
        if self.stopped:
            return Skip(CategoryResult(job.name, Status.SKIPPED, reason=f"not run: {self.stopped}"))
        if job.skip:
            return Skip(CategoryResult(job.name, Status.SKIPPED, reason=job.skip))
        if gone is not None:
            return Skip(CategoryResult(job.name, Status.SKIPPED, reason=gone))
        if any(gate not in self.results for gate in job.gates):
            return Wait()
        blocked = [self.results[g] for g in job.gates if not self.results[g].ok]
        if blocked:
            reason = f"depends on {blocked[0].name}, which {_verb(blocked[0].status)}"
            return Skip(CategoryResult(job.name, Status.SKIPPED, reason=reason))
        if services.failed is not None:
            name, message = services.failed
            return Stop(f"service {name} failed", message)
        if services.exports is None:
            return Wait()
        if self.running and used + min(job.workers, self.budget) > self.budget:
            first = job.name not in self.said_waiting
            self.said_waiting.add(job.name)
            return WaitForWorkers(f"waiting for workers ({used} of {self.budget} in use)", first)
        return Start(services.exports)

    def take(self, job: Job) -> None:
        """The job leaves the queue: started, or ended without running."""
        self.pending.remove(job)

    def started(self, job: Job) -> None:
        self.running[job.name] = job.workers

    def ended(self, name: str) -> None:
        self.running.pop(name, None)

    def again(self, job: Job) -> None:
        """A category to run once more (after its service's restart): first in the queue."""
        self.pending.insert(0, job)

    def finished(self, result: CategoryResult) -> None:
        self.results[result.name] = result
        broken = result.status in (Status.FAILED, Status.ERROR)
        if broken and result.name not in self.failing:
            self.failures += 1  # a suite that failed without a failed test counts once

    def failed_test(self, category: str) -> None:
        self.failures += 1
        self.failing.add(category)

    def stop(self, reason: str) -> bool:
        """Nothing more starts; True the first time (the caller stops what runs)."""
        if self.stopped:
            return False
        self.stopped = reason
        return True

    def stop_reason(self) -> str | None:
        """Why the run stops now for its failures (-x, --maxfail), or None."""
        if self.stop_after is None or self.failures < self.stop_after:
            return None
        if self.stop_after == 1:
            return "--fail-fast stopped the run after the first failure"
        return f"--maxfail {self.stop_after} stopped the run after {self.stop_after} failures"


def _verb(status: Status) -> str:
    return {Status.SKIPPED: "was skipped", Status.NO_TESTS: "ran no tests"}.get(
        status, f"ended {status.value}"
    )
