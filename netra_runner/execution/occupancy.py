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
from netra_runner.plugin.agreement import WorkerEvent


class Occupancy:
    def __init__(self) -> None:
        self._lock = threading.Lock()  # fed from the main loop and the categories' threads
        self._collecting: dict[str, int] = {}  # processes yet to say what they will run
        self._started: dict[str, set[str]] = {}
        self._unstarted: dict[str, set[str]] = {}  # kept as events come: asked every poll
        self._running: dict[str, set[str]] = {}

    def on_event(self, event: Event) -> None:
        category, kind = str(event.get("category", "")), event["event"]
        if not category or kind not in (
            WorkerEvent.COLLECTED,
            WorkerEvent.TEST_STARTED,
            WorkerEvent.TEST_FINISHED,
        ):
            return
        with self._lock:
            started = self._started.setdefault(category, set())
            unstarted = self._unstarted.setdefault(category, set())
            if kind == WorkerEvent.COLLECTED:
                # A sliced category has collected once each of its shares said so.
                left = self._collecting.get(category, _shares(event)) - 1
                self._collecting[category] = max(left, 0)
                unstarted.update(t for t in event.get("tests", ()) if t not in started)
                return
            nodeid = str(event.get("nodeid", ""))
            running = self._running.setdefault(category, set())
            if kind == WorkerEvent.TEST_STARTED:
                started.add(nodeid)
                unstarted.discard(nodeid)
                running.add(nodeid)
            elif event.get("outcome") != "rerun":  # a rerun runs on where it ran
                running.discard(nodeid)

    def workers(self, category: str, workers: int) -> int:
        """The workers `category` (running with `workers`) occupies now."""
        with self._lock:
            if self._collecting.get(category, 1) or self._unstarted.get(category):
                return workers  # collecting, or tests still to start
            return min(workers, len(self._running.get(category, ())))

    def forget(self, category: str) -> None:
        """It finished (or runs again after a restart: from the start)."""
        with self._lock:
            for table in (self._collecting, self._started, self._unstarted, self._running):
                table.pop(category, None)


def _shares(collected: Event) -> int:
    """How many processes collect for its category: a share's event says; else one. The
    file is the suite's own: a value that is not ours counts as one."""
    said = collected.get("slice")
    count = said.get("count") if isinstance(said, dict) else None
    return count if isinstance(count, int) and count > 0 else 1
