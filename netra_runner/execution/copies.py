"""What a category is handed of its services before its tests run: each worker's copy of an
isolated service (services/isolation.py), and the wait for the services' set-up.

A pytest suite starts as soon as its services are healthy. Their set-up and the copies are
made meanwhile, and its test processes wait at a gate (plugin/worker_env.py) before importing any
conftest: the interpreter's and xdist's start-up is not on the critical path. A command
suite, or one with a `setup:` of its own (which must see the services set up), waits
before it starts instead; so does one with whole instances per worker (their ports are only
known once they run). Copies are made anew for a process netra-run starts again after a
crash, and, for one worker, when xdist starts a worker in place of a dead one: its
controller asks through the event stream (`worker_replacing`, plugin/replaced_workers.py).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import CancelledError
from pathlib import Path
from typing import TYPE_CHECKING

from netra_runner.errors import ServiceError
from netra_runner.events import Event, EventLog
from netra_runner.execution.processes import ChildProcesses
from netra_runner.plan import Job
from netra_runner.plugin.agreement import GATE, GATE_FILE, WORKER_ENV, WorkerEvent, reply_file
from netra_runner.plugin.worker_env import answer, read_answer, worker_ids
from netra_runner.services.isolation import Copies, reached_itself, traffic

if TYPE_CHECKING:
    from netra_runner.services.session import ServiceSession

READY_FILE = ".netra-ready"


def gated(job: Job) -> bool:
    """Whether the suite may start before its services are set up: its test processes then
    wait at the gate."""
    return job.is_pytest and not job.setup and all(m != "instance" for _, m in job.isolated)


class CategoryCopies:
    def __init__(
        self,
        services: ServiceSession,
        children: ChildProcesses,
        events: EventLog,
        say: Callable[[str], None],
    ) -> None:
        self.services = services
        self.children = children
        self.events = events
        self.say = say
        self._lock = threading.Lock()
        self._held: dict[str, list[Copies]] = {}
        self._jobs: dict[str, Job] = {}
        self._failed: dict[str, str] = {}
        self._gated: set[str] = set()  # categories whose copies the gate's thread makes
        # what had reached each set-up copy when the tests were let in (isolation.traffic)
        self._before: dict[str, list[tuple[Copies, int | None]]] = {}

    def prepare(self, job: Job, wait: bool = False) -> dict[str, str]:
        """The environment that hands the suite its copies. Gated (unless `wait`), they are
        made after the services' set-up while it starts, and each worker goes on once its
        own are made; else by `make`, which the runner calls after the category's own
        set-up (the services' is done)."""
        self.release(job.name)
        copies: list[Copies] = []
        per_worker: dict[str, dict[str, str]] = {}
        if job.isolated:
            per_worker, copies = self.services.isolated(
                job.name, job.isolated, worker_ids(job.workers)
            )
        setting_up = not all(self.services.future(name).done() for name in job.services)
        gating = not wait and gated(job) and bool(copies or setting_up)
        with self._lock:
            self._held[job.name], self._jobs[job.name] = copies, job
            (self._gated.add if gating else self._gated.discard)(job.name)
            self._failed.pop(job.name, None)  # an earlier run's (before a restart)
        if not gating:
            return {WORKER_ENV: json.dumps(per_worker)} if per_worker else {}
        gates = {w: job.report_dir / f"{READY_FILE}.{w}" for w in per_worker}
        gates[""] = job.report_dir / READY_FILE  # without copies: one for all
        for worker, gate in gates.items():
            gate.unlink(missing_ok=True)
            if worker:
                per_worker[worker][GATE_FILE] = str(gate)
        threading.Thread(target=self._open, args=(job, copies, gates), daemon=True).start()
        who = "xdist" if job.workers > 1 else "main"
        env = {GATE: json.dumps({"path": str(gates[""]), "who": who})}
        return {**env, WORKER_ENV: json.dumps(per_worker)} if per_worker else env

    def make(self, job: Job) -> None:
        """Make the copies `prepare` named, now; those of a gated suite are made already."""
        with self._lock:
            copies = [] if job.name in self._gated else self._held.get(job.name, [])
        self._fill(job, copies)

    def failed(self, category: str) -> str | None:
        """Why the category's copies could not be made, once its suite was started."""
        with self._lock:
            return self._failed.get(category)

    def release(self, category: str, quiet: bool = False) -> None:
        with self._lock:
            copies = self._held.pop(category, [])
            before = self._before.pop(category, [])
        for held, count in before:  # isolation that proves itself, before the copies go
            said = reached_itself(held, count)
            if said is not None:
                self.say(f"ISOLATION   {category}: {said}")
                self.events.emit("isolation_breached", category=category, reason=said)
        if copies:
            self.services.release(copies, quiet)

    def _counting(self, job: Job, copies: list[Copies]) -> threading.Thread:
        """What has reached the set-up data so far, counted while the copies are made (a
        `docker exec` each: off the path to the first test). Making a copy reaches no set-up
        data: it runs in another database."""

        def count() -> None:
            counted = [(c, traffic(c)) for c in copies]
            with self._lock:
                self._before[job.name] = counted

        counting = threading.Thread(target=count, name=f"{job.name}-count", daemon=True)
        counting.start()
        return counting

    def on_event(self, event: Event) -> None:
        """A listener of the event stream; the copy is made off the thread that polls it."""
        if event["event"] == WorkerEvent.WORKER_REPLACING:
            threading.Thread(target=self._replace, args=(event,), daemon=True).start()

    def _open(self, job: Job, copies: list[Copies], gates: dict[str, Path]) -> None:
        """After the services' set-up, each worker's copies, and its gate opened at once."""
        try:
            for name in job.services:
                self.services.future(name).result()
        except (ServiceError, CancelledError):  # the runner stops the run for a failed set-up
            for gate in gates.values():
                answer(gate, "a service this suite uses failed")
            return
        began = time.monotonic()
        try:
            counting = self._counting(job, copies)
            for worker, gate in gates.items():
                if worker:
                    self.services.fill(copies, [worker])
                counting.join()  # the set-up data's count is taken before any test goes on
                answer(gate, None)
        except Exception as exc:  # the suite's processes wait for an answer, whatever it was
            error = str(exc) if isinstance(exc, ServiceError) else f"netra-run failed: {exc!r}"
            with self._lock:
                self._failed[job.name] = error
            self.children.stop(job.name, error)
            for gate in gates.values():
                if read_answer(gate) is None:
                    answer(gate, error)
            return
        if copies:
            self._made(job, time.monotonic() - began, len(gates) - 1)

    def _fill(self, job: Job, copies: list[Copies]) -> None:
        if not copies:
            return
        began = time.monotonic()
        counting = self._counting(job, copies)
        self.services.fill(copies)
        counting.join()
        self._made(job, time.monotonic() - began, len(copies[0].names))

    def _made(self, job: Job, seconds: float, workers: int) -> None:
        self._emit(job, seconds, workers=workers)
        plural = "worker" if workers == 1 else "workers"
        self.say(f"COPIES      {job.name}: {_names(job)} for {workers} {plural} in {seconds:.2f}s")

    def recopy(self, job: Job, worker: str) -> None:
        """One worker's copies made anew, now (its process died; the others run on)."""
        with self._lock:
            copies = self._held.get(job.name, [])
        if not copies:
            return
        began = time.monotonic()
        self.services.recopy(copies, worker)
        self._emit(job, time.monotonic() - began, workers=1, replacing=worker)
        self.say(f"COPY        {job.name}: a fresh copy for {worker}, started again")

    def _replace(self, event: Event) -> None:
        category, worker, seq = str(event.get("category")), str(event["worker"]), event["seq"]
        with self._lock:
            copies, job = self._held.get(category, []), self._jobs.get(category)
        if job is None:
            return  # not a category of this run's: nobody here can answer it
        began = time.monotonic()
        try:
            self.services.recopy(copies, worker)
        except ServiceError as exc:
            answer(reply_file(job.events_file, worker, int(seq)), str(exc))
            self.say(
                f"COPY        {job.name}: no fresh copy for the worker replacing {worker} "
                f"(it keeps the dead one's): {exc}"
            )
            return
        answer(reply_file(job.events_file, worker, int(seq)), None)
        seconds = time.monotonic() - began
        self._emit(job, seconds, workers=1, replacing=worker)
        self.say(
            f"COPY        {job.name}: a fresh copy for the worker replacing {worker} "
            f"in {seconds:.2f}s"
        )

    def _emit(self, job: Job, seconds: float, **fields: object) -> None:
        self.events.emit(
            "worker_copies",
            category=job.name,
            services=[name for name, _ in job.isolated],
            seconds=round(seconds, 3),
            **fields,
        )


def _names(job: Job) -> str:
    return ", ".join(name for name, _ in job.isolated)
