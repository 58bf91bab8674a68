"""The event stream: one NDJSON file per run (`<reports>/events.ndjson`), schema in docs/events.md.

netra-run writes run, service and category events itself; each pytest category's plugin writes
its test events to the category's own file, which the run tails into the main stream with the
category added. Listeners (console progress, fail-fast) see every event as it is written.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

Event = dict[str, Any]
Listener = Callable[[Event], None]
FAILED_OUTCOMES = ("failed", "error", "crashed")  # test_finished outcomes that are failures


class EventLog:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._out: IO[str] = path.open("w", encoding="utf-8")
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._tails: dict[str, CategoryTail] = {}

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def emit(self, event: str, **fields: Any) -> None:
        self._write({"t": round(time.time(), 4), "event": event, **fields})

    def follow(self, category: str, path: Path) -> None:
        """Copy the category's own event file into this stream from now on."""
        with self._lock:
            self._tails[category] = CategoryTail(category, path)

    def poll(self) -> None:
        """Forward what followed files gained since the last poll."""
        with self._lock:
            tails = list(self._tails.values())
        for tail in tails:
            for event in tail.read_new():
                self._write(event)

    def unfollow(self, category: str) -> None:
        self.poll()
        with self._lock:
            self._tails.pop(category, None)

    def close(self) -> None:
        self.poll()
        self._out.close()

    def _write(self, event: Event) -> None:
        with self._lock:
            self._out.write(json.dumps(event) + "\n")
            self._out.flush()
        for listener in self._listeners:
            listener(event)


class CategoryTail:
    """Reads a growing NDJSON file a line at a time, never a half-written line."""

    def __init__(self, category: str, path: Path) -> None:
        self.category = category
        self.path = path
        self.offset = 0

    def read_new(self) -> list[Event]:
        try:
            with self.path.open("rb") as handle:
                handle.seek(self.offset)
                data = handle.read()
        except FileNotFoundError:
            return []
        complete = data[: data.rfind(b"\n") + 1]
        self.offset += len(complete)
        return [
            {**e, "category": self.category} for e in parse_lines(complete.decode(errors="replace"))
        ]


def parse_lines(text: str) -> list[Event]:
    events = []
    for line in text.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue  # a line cut by a killed process: what came before still counts
        if isinstance(event, dict) and "event" in event:
            events.append(event)
    return events


def read_events(path: Path) -> list[Event]:
    try:
        return parse_lines(path.read_text(encoding="utf-8", errors="replace"))
    except FileNotFoundError:
        return []
