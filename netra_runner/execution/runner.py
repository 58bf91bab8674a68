"""Run the jobs concurrently: each starts as soon as its gates passed and its services are
healthy. A failed service or an interrupt stops everything; what did not run says why.
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from netra_runner.execution.processes import ChildProcesses
from netra_runner.execution.suites import run_job
from netra_runner.plan import Job
from netra_runner.results import CategoryResult, Status
from netra_runner.services.session import ServiceSession

POLL = 0.2  # the main thread wakes this often, so Ctrl-C is always handled promptly
WAIT = "wait"


class Runner:
    def __init__(
        self,
        jobs: list[Job],
        children: ChildProcesses,
        services: ServiceSession | None,
        on_event: Callable[[str, CategoryResult | None], None],
        parallel: int,
    ) -> None:
        self.pending = list(jobs)
        self.children = children
        self.services = services
        self.on_event = on_event
        self.parallel = max(parallel, 1)
        self.results: dict[str, CategoryResult] = {}
        self.running: set[str] = set()
        self.service_error: str | None = None
        self.interrupted = False
        self._stopped: str | None = None  # why nothing more may start
        self._events: queue.Queue[CategoryResult | None] = queue.Queue()

    def run(self) -> list[CategoryResult]:
        if self.services is not None:
            self.services.start()
            for name in self.services.specs:
                self.services.future(name).add_done_callback(lambda _: self._events.put(None))
        with ThreadPoolExecutor(max_workers=self.parallel, thread_name_prefix="category") as pool:
            while self.pending or self.running:
                try:
                    self._schedule(pool)
                    self._next_event()
                except KeyboardInterrupt:
                    self.interrupted = True
                    self._stop("the run was interrupted")
        return list(self.results.values())

    def _next_event(self) -> None:
        try:
            event = self._events.get(timeout=POLL)
        except queue.Empty:
            return
        if event is not None:
            self.running.discard(event.name)
            self._finish(event)

    def _schedule(self, pool: ThreadPoolExecutor) -> None:
        for job in list(self.pending):
            decision = self._decide(job)
            if isinstance(decision, str):  # WAIT
                continue
            self.pending.remove(job)
            if isinstance(decision, CategoryResult):
                self._finish(decision)
            else:
                self.running.add(job.name)
                self.on_event(f"START       {job.name}", None)
                pool.submit(self._run, job, decision)

    def _decide(self, job: Job) -> str | CategoryResult | dict[str, str]:
        """WAIT, a result that ends the job without running it, or the env to run it with."""
        if self._stopped:
            return CategoryResult(job.name, Status.SKIPPED, reason=f"not run: {self._stopped}")
        if job.skip:
            return CategoryResult(job.name, Status.SKIPPED, reason=job.skip)
        if any(gate not in self.results for gate in job.gates):
            return WAIT
        blocked = [self.results[g] for g in job.gates if not self.results[g].ok]
        if blocked:
            reason = f"depends on {blocked[0].name}, which {_verb(blocked[0].status)}"
            return CategoryResult(job.name, Status.SKIPPED, reason=reason)
        env = self._service_env(job)
        if env is None or len(self.running) >= self.parallel:
            return WAIT
        return env

    def _service_env(self, job: Job) -> dict[str, str] | None:
        if not job.services or self.services is None:
            return {}
        futures = [self.services.future(name) for name in job.services]
        if not all(f.done() for f in futures):
            return None
        for future in futures:
            error = future.exception()
            if error is not None:
                self.service_error = str(error)
                self._stop(f"service {_failed_name(error, job.services)} failed")
                return None
        return self.services.exports_for(job.services)

    def _run(self, job: Job, env: dict[str, str]) -> None:
        try:
            result = run_job(job, self.children, env)
        except BaseException as exc:  # a bug must not leave the main loop waiting forever
            result = CategoryResult(job.name, Status.ERROR, reason=f"netra-run failed: {exc!r}")
        self._events.put(result)

    def _finish(self, result: CategoryResult) -> None:
        self.results[result.name] = result
        self.on_event("", result)

    def _stop(self, reason: str) -> None:
        if not self._stopped:
            self._stopped = reason
            self.children.stop_all()


def _verb(status: Status) -> str:
    return {Status.SKIPPED: "was skipped", Status.NO_TESTS: "ran no tests"}.get(
        status, f"ended {status.value}"
    )


def _failed_name(error: BaseException, names: tuple[str, ...]) -> str:
    text = str(error)
    return next((name for name in names if f"service {name} " in text), names[0])
