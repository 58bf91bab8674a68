"""A durations history as netra-run keeps it (.netra/durations.json): per test id, smoothed.

Read in worker processes to plan the work (longest first) and by netra-run for its
plans and ETA; written by netra-run alone (execution/history.py). A corrupt or missing file
is an empty history, never an error.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

VERSION = 1
SMOOTHING = 0.5  # weight of the newest run: durations drift, one slow run should not rule


@dataclass(frozen=True)
class Sample:
    nodeid: str
    duration: float  # setup + call + teardown
    setup: float


class Durations:
    def __init__(self, tests: dict[str, dict[str, float]] | None = None) -> None:
        self.tests = tests or {}

    @classmethod
    def load(cls, path: Path | str | None) -> Durations:
        if path is None:
            return cls()
        try:
            return cls.parse(Path(path).read_text(encoding="utf-8"))
        except OSError:
            return cls()

    @classmethod
    def parse(cls, text: str) -> Durations:
        try:
            data = json.loads(text)
            tests = data["tests"] if data.get("version") == VERSION else {}
            return cls({k: v for k, v in tests.items() if _valid(v)})
        except (ValueError, KeyError, TypeError, AttributeError):
            return cls()

    def relative_to(self, base: str) -> Durations:
        """The entries under `base`, named relative to it (as pytest names them from there)."""
        if base == ".":
            return self
        prefix = base.rstrip("/") + "/"
        return Durations(
            {k[len(prefix) :]: v for k, v in self.tests.items() if k.startswith(prefix)}
        )

    def duration(self, nodeid: str) -> float | None:
        entry = self.tests.get(nodeid)
        return entry["d"] if entry else None

    def setup(self, nodeid: str) -> float | None:
        entry = self.tests.get(nodeid)
        return entry.get("s") if entry else None

    def typical(self) -> float | None:
        known = [entry["d"] for entry in self.tests.values()]
        return statistics.median(known) if known else None

    def merged(self, samples: Iterable[Sample]) -> Durations:
        tests = dict(self.tests)
        for sample in samples:
            old = tests.get(sample.nodeid)
            if old is None:
                tests[sample.nodeid] = {"d": sample.duration, "s": sample.setup}
            else:
                tests[sample.nodeid] = {
                    "d": _smooth(old["d"], sample.duration),
                    "s": _smooth(old.get("s", sample.setup), sample.setup),
                }
        return Durations(tests)


def _smooth(old: float, new: float) -> float:
    return round(old * (1 - SMOOTHING) + new * SMOOTHING, 4)


def _valid(entry: object) -> bool:
    return isinstance(entry, dict) and isinstance(entry.get("d"), int | float)
