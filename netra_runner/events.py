"""The event stream: one NDJSON file per run (`<reports>/events.ndjson`), schema in docs/events.md.

netra-run writes run, service and category events itself; each pytest category's plugin writes
its test events to the category's own file, which the run tails into the main stream with the
category added. Listeners (console progress, fail-fast) see every event as it is written.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from netra_runner.plugin.masking import Masker, mask_in_place

Event = dict[str, Any]
Listener = Callable[[Event], None]
FAILED_OUTCOMES = ("failed", "error", "crashed")  # test_finished outcomes that are failures
TEST_TEXT = ("message", "details", "output")  # what a test wrote, in its events
_IDS = ("nodeid", "parent", "name", "classname")  # masked where shown, kept where judged


class EventLog:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._out: IO[str] = path.open("w+", encoding="utf-8")  # readable: see close()
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._tails: dict[str, CategoryTail] = {}
        self.restored = False  # the file was deleted during the run and written again

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def emit(self, event: str, **fields: Any) -> None:
        self._write({"t": round(time.time(), 4), "event": event, **fields})

    def follow(self, category: str, path: Path, mask: Masker | None = None) -> None:
        """Copy an event file of the category's (one per process of a sliced category)
        into this stream from now on, with what its tests wrote masked."""
        with self._lock:
            self._tails[str(path)] = CategoryTail(category, path, mask)

    def poll(self) -> None:
        """Forward what followed files gained since the last poll."""
        with self._lock:
            tails = list(self._tails.values())
        for tail in tails:
            events = [tail.shown(event) for event in tail.read_new()]
            if events:
                self._write(*events)  # one flush for what a file gained

    def events_of(self, path: Path) -> list[Event]:
        """Every event of a followed file so far."""
        self.poll()
        with self._lock:
            tail = self._tails.get(str(path))
        return [] if tail is None else tail.snapshot()

    def unfollow(self, path: Path) -> None:
        self.poll()
        with self._lock:
            tail = self._tails.pop(str(path), None)
        if tail is not None:
            tail.close()
            tail.seal()

    def close(self) -> None:
        """A test may have deleted the reports folder: the stream is put back from the
        handle that kept writing it (restored lists what had to be)."""
        self.poll()
        for tail in self._tails.values():
            tail.close()
        if os.fstat(self._out.fileno()).st_nlink == 0:
            self._out.seek(0)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(self._out.read(), encoding="utf-8")
            self.restored = True
        self._out.close()

    def _write(self, *events: Event) -> None:
        with self._lock:
            self._out.write("".join(json.dumps(event) + "\n" for event in events))
            self._out.flush()
        for event in events:
            for listener in self._listeners:
                listener(event)


class CategoryTail:
    """Reads a growing NDJSON file a line at a time, never a half-written line.

    The file is read through a handle held from its first read, so a test deleting the
    reports folder cannot take what its category writes; a new file at the same path (a
    process restarted after the folder went) is followed once the old one is read out."""

    def __init__(self, category: str, path: Path, mask: Masker | None = None) -> None:
        self.category = category
        self.path = path
        self.mask = mask
        self.offset = 0
        self.seen: list[Event] = []
        self._handle: IO[bytes] | None = None
        # The main loop polls while a category's thread reads its events to judge it: two
        # reads of one offset would count every line twice (a test's one attempt as two).
        self._lock = threading.RLock()  # read_new closes a replaced file under it

    def read_new(self) -> list[Event]:
        with self._lock:
            events = self._read_held()
            if self._replaced():
                self.close()
                events += self._read_held()
            return events

    def snapshot(self) -> list[Event]:
        with self._lock:
            return list(self.seen)

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._handle.close()
                self._handle = None

    def _read_held(self) -> list[Event]:
        if self._handle is None:
            try:
                self._handle = self.path.open("rb")
            except FileNotFoundError:
                return []
            self.offset = 0
        self._handle.seek(self.offset)
        data = self._handle.read()
        complete = data[: data.rfind(b"\n") + 1]
        self.offset += len(complete)
        events = [
            self._masked({**e, "category": self.category})
            for e in parse_lines(complete.decode(errors="replace"))
        ]
        self.seen += events
        return events

    def _masked(self, event: Event) -> Event:
        if self.mask is None:
            return event
        return {
            k: self.mask(v) if k in TEST_TEXT and isinstance(v, str) else v
            for k, v in event.items()
        }

    def shown(self, event: Event) -> Event:
        """The event as the run's stream and its listeners get it: ids masked too (a
        parametrized id may hold a secret). What judges the suite keeps the real ids."""
        if self.mask is None:
            return event
        shown = dict(event)
        for key in _IDS:
            if isinstance(shown.get(key), str):
                shown[key] = self.mask(shown[key])
        if isinstance(shown.get("tests"), list):
            shown["tests"] = [self.mask(t) if isinstance(t, str) else t for t in shown["tests"]]
        return shown

    def seal(self) -> None:
        """Once the category is judged, its own event file is masked whole: it is a report
        like any other."""
        if self.mask is not None:
            mask_in_place(self.path, self.mask)

    def _replaced(self) -> bool:
        if self._handle is None:
            return False
        try:
            return self.path.stat().st_ino != os.fstat(self._handle.fileno()).st_ino
        except FileNotFoundError:
            return False


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
