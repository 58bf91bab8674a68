"""Run the jobs concurrently: each starts as soon as its gates passed and its services are
healthy. A failed service or an interrupt stops everything; what did not run says why.
"""

from __future__ import annotations

import dataclasses
import json
import queue
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from netra_runner.errors import ServiceError
from netra_runner.events import FAILED_OUTCOMES, Event, EventLog
from netra_runner.execution.occupancy import Occupancy
from netra_runner.execution.processes import ChildProcesses
from netra_runner.execution.recovery import Recovery
from netra_runner.execution.schedule import (
    READY_WITHOUT_SERVICES,
    Schedule,
    Services,
    Skip,
    Start,
    Stop,
    WaitForWorkers,
)
from netra_runner.execution.suites import prepare, run_job
from netra_runner.plan import Job
from netra_runner.plugin.agreement import HEALTH, MASK_VALUES, WorkerEvent
from netra_runner.plugin.masking import Masker, secrets_in
from netra_runner.plugin.worker_env import with_worker_env
from netra_runner.results import SUITE_ERROR, CategoryResult, Outcome, Status
from netra_runner.services.watch import Outage, ServiceWatch

if TYPE_CHECKING:
    from netra_runner.execution.copies import CategoryCopies
    from netra_runner.services.session import ServiceSession

POLL = 0.2  # the main thread wakes this often: Ctrl-C, fail-fast and progress stay prompt
INTERRUPTED = "the run was interrupted"


class Runner:
    def __init__(
        self,
        jobs: list[Job],
        children: ChildProcesses,
        services: ServiceSession | None,
        events: EventLog,
        on_event: Callable[[str, CategoryResult | None], None],
        budget: int,
        stop_after: int | None = None,
    ) -> None:
        """`stop_after`: failures after which everything stops (-x: 1, --maxfail N)."""
        self.schedule = Schedule(jobs, budget, stop_after)
        self._jobs = self.schedule.by_name
        self.children = children
        self.services = services
        self.events = events
        self.on_event = on_event
        self.service_error: str | None = None
        self.copies: CategoryCopies | None = None
        if services is not None:  # the isolation machinery: only for a run with services
            from netra_runner.execution.copies import CategoryCopies

            self.copies = CategoryCopies(services, children, events, lambda s: on_event(s, None))
        self.interrupted = False
        self._events: queue.Queue[CategoryResult | Outage | None] = queue.Queue()
        self.watch: ServiceWatch | None = None
        self.recovery = Recovery(
            services, children, events, lambda line: on_event(line, None), self._wake
        )
        self.occupancy = Occupancy()

    def run(self) -> list[CategoryResult]:
        self.events.listen(self._watch)
        self.events.listen(self.occupancy.on_event)
        if self.copies is not None:
            self.events.listen(self.copies.on_event)
        self.recovery.began = time.time()
        if self.services is not None:
            self.services.start()
            for name in self.services.specs:
                self.services.future(name).add_done_callback(lambda _: self._wake())
            self.watch = ServiceWatch(self.services, self._events.put).start()
            self.recovery.watch = self.watch
        try:
            self._loop()
        finally:
            if self.watch is not None:
                self.watch.close()
        return list(self.schedule.results.values())

    def _loop(self) -> None:
        with ThreadPoolExecutor(
            max_workers=max(len(self.schedule.pending), 1), thread_name_prefix="category"
        ) as pool:
            while self.schedule.busy:
                try:
                    if self.watch is not None:
                        running = self.schedule.running
                        self.watch.use({s for c in running for s in self._jobs[c].services})
                    self._schedule(pool)
                    self._next_event()
                    self.events.poll()
                    enough = self.schedule.stop_reason()
                    if enough is not None:
                        self._stop(enough)
                except KeyboardInterrupt:
                    self.interrupted = True
                    self._stop(INTERRUPTED)

    def _next_event(self) -> None:
        try:
            event = self._events.get(timeout=POLL)
        except queue.Empty:
            return
        if event is None:  # a service is ready, or failed
            self._check_services()
            return
        if isinstance(event, Outage):
            self.recovery.went_down(event, {n: self._jobs[n] for n in self.schedule.running})
            return
        self.schedule.ended(event.name)
        self.occupancy.forget(event.name)
        for path in self._jobs[event.name].event_files:
            self.events.unfollow(path)
        self._finish(event)

    def _check_services(self) -> None:
        """A service whose set-up failed while suites that use it run stops the run."""
        if self.services is None or self.schedule.stopped:
            return
        for name in self.services.specs:
            future = self.services.future(name)
            error = future.exception() if future.done() and not future.cancelled() else None
            running = self.schedule.running
            if error is not None and any(name in self._jobs[c].services for c in running):
                self.service_error = str(error)
                self._stop(f"service {name} failed")
                return

    def _schedule(self, pool: ThreadPoolExecutor) -> None:
        used = self._used()
        for job in list(self.schedule.pending):
            services = self._services_now(job)
            decision = self.schedule.decide(job, self.recovery.skip_reason(job), services, used)
            if isinstance(decision, Stop):
                self.service_error = decision.error
                self._stop(decision.reason)
            elif isinstance(decision, WaitForWorkers) and decision.first:
                self.events.emit("category_waiting", category=job.name, reason=decision.reason)
                self.on_event(f"WAITING     {job.name}: {decision.reason}", None)
            elif isinstance(decision, Skip):
                self.schedule.take(job)
                self._finish(decision.result)
            elif isinstance(decision, Start):
                self.schedule.take(job)
                self._start(pool, job, decision.env)
                used = self._used()

    def _used(self) -> int:
        """Workers held: a category in its tail holds only those its running tests use."""
        held = self.schedule.running.items()
        return sum(self.occupancy.workers(name, workers) for name, workers in held)

    def _start(self, pool: ThreadPoolExecutor, job: Job, exports: dict[str, str]) -> None:
        self.schedule.started(job)
        prepare(job)  # before following: an earlier run's events are not this run's
        mask = self._masker(job, exports)
        for path in job.event_files:
            self.events.follow(job.name, path, mask)
        self.events.emit("category_started", category=job.name, workers=job.workers)
        workers = f" ({job.workers} workers)" if job.workers > 1 else ""
        self.on_event(f"START       {job.name}{workers}", None)
        env = {**exports, MASK_VALUES: json.dumps(mask.values)}
        if self.watch is not None and job.services:
            health = [str(self.watch.health_file(name)) for name in job.services]
            env[HEALTH] = json.dumps(health)
        # A sliced category's processes fill their args with their own copies'.
        pool.submit(self._run, job if job.slices else job.rendered(exports), env, mask)

    def _services_now(self, job: Job) -> Services:
        if not job.services or self.services is None:
            return READY_WITHOUT_SERVICES
        ready = [self.services.future(name) for name in job.services]
        # A gated suite starts once they are healthy: it waits for their set-up itself.
        needed = [self.services.healthy(n) for n in job.services] if _gated(job) else ready
        for future in (f for f in [*needed, *ready] if f.done()):
            error = future.exception()
            if error is not None:
                return Services(failed=(_failed_name(error, job.services), str(error)))
        if not all(f.done() for f in needed):
            return Services()
        return Services(exports=self.services.exports_for(job.services))

    def _masker(self, job: Job, exports: dict[str, str]) -> Masker:
        """Every secret this category is handed: its own env's, its services', and the
        passwords in their exports."""
        known = [*job.secrets, *secrets_in(exports)]
        if self.services is not None:
            known += self.services.redact.values
        return Masker(known)

    def _run(self, job: Job, env: dict[str, str], mask: Masker) -> None:
        copies = self.copies if job.services else None
        try:
            if copies is not None:
                env = {**env, **copies.prepare(job)}
            env = with_worker_env(env, job.env, job.name, job.workers)
            events = lambda part: self.events.events_of(part.events_file)  # noqa: E731
            again = copies if job.isolated else None
            restarted = (lambda worker: _made_anew(again, job, worker)) if again else None
            before = (lambda: again.make(job)) if again is not None else None
            result = run_job(job, self.children, env, events, mask, restarted, before)
            failed = copies.failed(job.name) if copies is not None else None
            if failed is not None:  # made while the suite started: it was stopped
                # what the stopped process left (no JUnit, say) is not the reason: this is
                kept = tuple(t for t in result.tests if t.name != SUITE_ERROR)
                result = dataclasses.replace(result, status=Status.ERROR, reason=failed, tests=kept)
        except ServiceError as exc:  # its copies could not be made: the category cannot run
            result = CategoryResult(job.name, Status.ERROR, reason=str(exc))
        except BaseException as exc:  # a bug must not leave the main loop waiting forever
            result = CategoryResult(job.name, Status.ERROR, reason=f"netra-run failed: {exc!r}")
        finally:
            if copies is not None:  # a service that went down has nothing left to drop
                self._release(copies, job)
        self._events.put(result)

    def _release(self, copies: CategoryCopies, job: Job) -> None:
        """Whatever dropping the copies meets (an engine that refuses an exec on a killed
        container), the category's result still reaches the main loop, which waits for it."""
        try:
            copies.release(job.name, quiet=self.recovery.hit(job.services))
        except Exception as exc:
            self.on_event(f"COPIES      {job.name}: its copies were not dropped: {exc}", None)

    def _finish(self, result: CategoryResult) -> None:
        if result.status is Status.INTERRUPTED and not self.interrupted:
            result = dataclasses.replace(result, status=Status.STOPPED)
        job = self._jobs.get(result.name)
        if job is not None:
            judged = self.recovery.judged(job, result, self.schedule.again)
            if judged is None:
                return  # it runs again, once its service is back
            result = judged
        self.schedule.finished(result)
        self.events.emit(
            "category_finished",
            category=result.name,
            status=result.status.value,
            duration=round(result.duration, 3),
            reason=result.reason,
            counts={o.value: result.count(o) for o in Outcome if result.count(o)},
        )
        self.on_event("", result)

    def _services_of(self, event: Event) -> tuple[str, ...]:
        job = self._jobs.get(str(event.get("category", "")))
        return job.services if job is not None else ()

    def infrastructure_note(self) -> str | None:
        return self.recovery.note(self.schedule.results.values())

    def _wake(self) -> None:
        self._events.put(None)

    def _watch(self, event: Event) -> None:
        if self.recovery.hit(self._services_of(event)):
            return  # failures while its service is down are not the tests': no --maxfail
        failed = (
            event["event"] == WorkerEvent.TEST_FINISHED and event.get("outcome") in FAILED_OUTCOMES
        )
        if failed and self.watch is not None and self._services_of(event):
            self.watch.check_soon()
        if failed:
            self.schedule.failed_test(str(event.get("category", "")))

    def _stop(self, reason: str) -> None:
        if self.schedule.stop(reason):
            self.children.stop_all(reason)


def _gated(job: Job) -> bool:
    from netra_runner.execution.copies import gated

    return gated(job)


def _made_anew(copies: CategoryCopies, job: Job, worker: str) -> dict[str, str]:
    """For a process started again after a crash: what the dead one left is not its. A
    sliced category's other processes run on: only the dead one's worker gets new copies
    (of the same names: its environment stays as it was)."""
    if job.slices:
        copies.recopy(job, worker)
        return {}
    env = copies.prepare(job, wait=True)
    copies.make(job)
    return with_worker_env(env, job.env, job.name, job.workers)


def _failed_name(error: BaseException, names: tuple[str, ...]) -> str:
    text = str(error)
    return next((name for name in names if f"service {name} " in text), names[0])
