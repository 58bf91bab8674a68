"""How many of its workers a running category still occupies, from its event stream.

A category holds all its workers until every test it collected has started. From then on,
in its tail, it holds only as many as it has tests running: the others are idle, waiting
for the process to end (an xdist worker with nothing left, a share that is done), and the
next category may start on them. Its wrap-up (teardown, the process's exit, the verdict)
then overlaps that category's start-up instead of leaving the workers idle.
"""

from __future__ import annotations

import threading

from netra_runner.events import Event


class Occupancy:
    def __init__(self) -> None:
        self._lock = threading.Lock()  # fed from the main loop and the categories' threads
        self._collected: dict[str, set[str]] = {}
        self._started: dict[str, set[str]] = {}
        self._running: dict[str, set[str]] = {}

    def on_event(self, event: Event) -> None:
        category, kind = str(event.get("category", "")), event["event"]
        if not category or kind not in ("collected", "test_started", "test_finished"):
            return
        with self._lock:
            if kind == "collected":
                self._collected.setdefault(category, set()).update(event.get("tests", ()))
                return
            nodeid = str(event.get("nodeid", ""))
            running = self._running.setdefault(category, set())
            if kind == "test_started":
                self._started.setdefault(category, set()).add(nodeid)
                running.add(nodeid)
            elif event.get("outcome") != "rerun":  # a rerun runs on where it ran
                running.discard(nodeid)

    def workers(self, category: str, workers: int) -> int:
        """The workers `category` (running with `workers`) occupies now."""
        with self._lock:
            collected = self._collected.get(category)
            if not collected or collected - self._started.get(category, set()):
                return workers  # collecting, or tests still to start
            return min(workers, len(self._running.get(category, ())))

    def forget(self, category: str) -> None:
        """It finished (or runs again after a restart: from the start)."""
        with self._lock:
            for table in (self._collected, self._started, self._running):
                table.pop(category, None)
