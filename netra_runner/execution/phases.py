"""When each category waited, started, had collected and finished: read off the event
stream as it is written, for the gaps the HTML timeline explains."""

from __future__ import annotations

from dataclasses import dataclass, field

from netra_runner.events import Event
from netra_runner.plugin.agreement import WorkerEvent
from netra_runner.results import CategoryPhases

_STEPS = frozenset({"category_waiting", "category_started", "collected", "category_finished"})


@dataclass
class _Seen:
    waiting: float | None = None
    waiting_reason: str = ""
    started: float | None = None
    collected: float | None = None
    finished: float | None = None


@dataclass
class PhaseClock:
    """A listener of the run's EventLog. The first of each step counts: a category started
    again (its service was restarted) keeps the time it first started."""

    _seen: dict[str, _Seen] = field(default_factory=dict)

    def on_event(self, event: Event) -> None:
        kind, category, moment = event.get("event"), event.get("category"), event.get("t")
        if kind not in _STEPS:  # most events are tests': nothing to keep, nothing to make
            return
        if not isinstance(category, str) or not isinstance(moment, int | float):
            return
        seen = self._seen.setdefault(category, _Seen())
        if kind == "category_waiting" and seen.waiting is None:
            seen.waiting, seen.waiting_reason = float(moment), str(event.get("reason", ""))
        elif kind == "category_started" and seen.started is None:
            seen.started = float(moment)
        elif kind == WorkerEvent.COLLECTED and seen.collected is None:
            seen.collected = float(moment)
        elif kind == "category_finished":
            seen.finished = float(moment)

    def of(self, category: str) -> CategoryPhases | None:
        seen = self._seen.get(category)
        if seen is None or seen.started is None:
            return None  # never started: no lane to explain
        return CategoryPhases(
            seen.waiting, seen.waiting_reason, seen.started, seen.collected, seen.finished
        )
