"""What a run is doing right now, folded from the event stream; the live console draws it.

Pure bookkeeping: events in, state out, no I/O and no clock (callers pass `now`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from netra_runner.events import FAILED_OUTCOMES, Event
from netra_runner.plugin.durations import Durations

FALLBACK_SECONDS = 0.5  # a test with no history, in a history that knows no test either


@dataclass
class ServiceState:
    name: str
    state: str = "starting"  # starting, healthy, failed
    since: float = 0.0
    seconds: float | None = None  # to healthy (or to failure)


@dataclass
class CategoryState:
    name: str
    started: float | None = None
    finished: str | None = None  # the final status
    duration: float = 0.0
    workers: int = 1
    collected: list[str] = field(default_factory=list)
    done: Counter[str] = field(default_factory=Counter)
    finished_ids: set[str] = field(default_factory=set)
    waiting: str | None = None  # why it has not started, once known

    @property
    def total(self) -> int | None:
        return len(self.collected) if self.collected else None

    @property
    def completed(self) -> int:
        return len(self.finished_ids)

    @property
    def failed(self) -> int:
        return sum(self.done[o] for o in FAILED_OUTCOMES)


class RunProgress:
    def __init__(self, durations: Durations | None = None, started: float = 0.0) -> None:
        self.durations = durations or Durations()
        self.started = started
        self.services: dict[str, ServiceState] = {}
        self.categories: dict[str, CategoryState] = {}
        self.running: dict[tuple[str, str], str] = {}  # (category, worker) -> test
        self.budget = 1
        self._measured: list[float] = []  # this run's own test durations

    def apply(self, event: Event) -> None:
        handler = getattr(self, f"_on_{event.get('event')}", None)
        if handler is not None:
            handler(event)

    def _on_run_started(self, event: Event) -> None:
        self.started = float(event["t"])
        self.budget = int(event.get("workers") or 1)
        for name in event.get("categories", []):
            self.categories[name] = CategoryState(name)

    def _on_service_starting(self, event: Event) -> None:
        self.services[event["service"]] = ServiceState(event["service"], since=float(event["t"]))

    def _on_service_healthy(self, event: Event) -> None:
        self._service(event, "healthy")

    def _on_service_failed(self, event: Event) -> None:
        self._service(event, "failed")

    def _service(self, event: Event, state: str) -> None:
        service = self.services.setdefault(event["service"], ServiceState(event["service"]))
        service.state, service.seconds = state, event.get("seconds")

    def _on_category_started(self, event: Event) -> None:
        category = self._category(event)
        category.started, category.workers = float(event["t"]), int(event.get("workers") or 1)

    def _on_category_waiting(self, event: Event) -> None:
        self._category(event).waiting = event.get("reason") or None

    def _on_category_finished(self, event: Event) -> None:
        category = self._category(event)
        category.finished, category.duration = event.get("status", "?"), event.get("duration", 0)
        for key in [k for k in self.running if k[0] == category.name]:
            del self.running[key]

    def _on_collected(self, event: Event) -> None:
        category = self._category(event)
        known = set(category.collected)  # a restarted process collects again what is left
        category.collected += [t for t in event.get("tests", []) if t not in known]

    def _on_test_started(self, event: Event) -> None:
        self.running[(event.get("category", "?"), event.get("worker", "main"))] = event["nodeid"]

    def _on_test_finished(self, event: Event) -> None:
        category = self._category(event)
        key = (category.name, event.get("worker", "main"))
        if self.running.get(key) == event["nodeid"]:
            del self.running[key]
        if event.get("module") or event.get("subtest"):  # results no collection listed
            category.collected.append(event["nodeid"])
        if event.get("outcome") != "rerun":
            category.done[event.get("outcome", "error")] += 1
            duration = event.get("duration")
            if isinstance(duration, int | float) and not event.get("subtest"):
                self._measured.append(float(duration))
            category.finished_ids.add(event["nodeid"])

    def _category(self, event: Event) -> CategoryState:
        name = event.get("category", "?")
        return self.categories.setdefault(name, CategoryState(name))

    def elapsed(self, now: float) -> float:
        return max(now - self.started, 0.0) if self.started else 0.0

    def _measured_typical(self) -> float:
        if not self._measured:
            return FALLBACK_SECONDS
        return sum(self._measured) / len(self._measured)

    def eta(self) -> tuple[float, bool]:
        """Seconds of work left over the worker budget, from the history; and whether that is
        all of it (False while a category has not collected its tests yet)."""
        known = not any(c.finished is None and c.total is None for c in self.categories.values())
        # A test the history does not know takes what the history's typical test takes; on
        # a first run, what this run's tests took so far: the estimate settles, not jumps.
        typical = self.durations.typical() or self._measured_typical()
        left = sum(
            self.durations.duration(test) or typical
            for c in self.categories.values()
            if c.finished is None
            for test in c.collected
            if test not in c.finished_ids
        )
        return left / max(self.budget, 1), known
