"""Each isolated category's copies (services/isolation.py), held while it runs.

Made when the category starts; made anew for a process netra-run starts again after a
crash; and, for one worker, when xdist starts a worker in place of a dead one: its
controller asks through the event stream (`worker_replacing`, replaced_workers.py) and
waits for the answer file, so the new worker's first test already sees a fresh copy.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from netra_runner.errors import ServiceError
from netra_runner.events import Event, EventLog
from netra_runner.plan import Job
from netra_runner.services.isolation import Copies, worker_ids
from netra_runner.worker_env import WORKER_ENV, answer, reply_file

if TYPE_CHECKING:
    from netra_runner.services.session import ServiceSession


class CategoryCopies:
    def __init__(
        self, services: ServiceSession, events: EventLog, say: Callable[[str], None]
    ) -> None:
        self.services = services
        self.events = events
        self.say = say
        self._lock = threading.Lock()
        self._held: dict[str, list[Copies]] = {}
        self._jobs: dict[str, Job] = {}

    def make(self, job: Job) -> dict[str, str]:
        """Each worker's own copies, made anew (the old ones dropped), as the environment
        that hands them to the suite."""
        self.release(job.name)
        began, workers = time.monotonic(), worker_ids(job.workers)
        per_worker, copies = self.services.isolated(job.name, job.isolated, workers)
        with self._lock:
            self._held[job.name], self._jobs[job.name] = copies, job
        seconds = time.monotonic() - began
        self._emit(job, seconds, workers=len(workers))
        self.say(
            f"COPIES      {job.name}: {_names(job)} for {len(workers)} workers in {seconds:.2f}s"
        )
        return {WORKER_ENV: json.dumps(per_worker)}

    def release(self, category: str) -> None:
        with self._lock:
            copies = self._held.pop(category, [])
        if copies:
            self.services.release(copies)

    def on_event(self, event: Event) -> None:
        """A listener of the event stream; the copy is made off the thread that polls it."""
        if event["event"] == "worker_replacing":
            threading.Thread(target=self._replace, args=(event,), daemon=True).start()

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
