"""The durations history (.netra/durations.json): per test id, smoothed, merged under a lock.

Read by the scheduler (longest first), the worker planner and the ETA; written after every
run. A corrupt or missing file is an empty history, never an error.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from netra_runner.errors import UsageError
from netra_runner.plugin.agreement import WorkerEvent
from netra_runner.plugin.durations import VERSION, Durations, Sample


def durations_file(root: Path) -> Path:
    """A project's durations history: committed, so every machine (and shard) shares it."""
    return root / ".netra" / "durations.json"


def record(path: Path, samples: list[Sample]) -> None:
    """Merge this run's samples into the file; safe when runs finish at the same time."""
    if not samples:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path.with_name(path.name + ".lock")):
        merged = Durations.load(path).merged(samples)
        text = json.dumps({"version": VERSION, "tests": merged.tests}, sort_keys=True)
        fd, partial = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".partial")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        Path(partial).replace(path)


def merge_into(target: Path, sources: Iterable[Path]) -> int:
    """Fold other machines' histories (CI shards) into `target`, as if their runs were ours.
    Returns how many tests the sources knew."""
    learned = [
        Sample(nodeid, entry["d"], entry.get("s", 0.0))
        for source in sources
        for nodeid, entry in Durations.load(source).tests.items()
    ]
    record(target, learned)
    return len({sample.nodeid for sample in learned})


def merge_files(sources: list[Path], output: Path, say: Callable[[str], None]) -> int:
    """`netra-run history merge`: other machines' histories into this one."""
    missing = [str(s) for s in sources if not s.is_file()]
    if missing:
        raise UsageError(f"no such history file: {', '.join(missing)}")
    known = merge_into(output, sources)
    say(f"merged {len(sources)} histories ({known} tests) into {output}")
    return 0


@contextlib.contextmanager
def _locked(lock: Path) -> Iterator[None]:
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_RAN = ("passed", "failed", "error", "xfailed", "xpassed")


def samples(events: Iterable[dict[str, Any]]) -> list[Sample]:
    """Durations worth learning from: final attempts that ran (not skipped, not crashed)."""
    return [
        Sample(e["nodeid"], float(e.get("duration", 0.0)), float(e.get("setup", 0.0)))
        for e in events
        if e["event"] == WorkerEvent.TEST_FINISHED
        and e.get("outcome") in _RAN
        and not e.get("subtest")
    ]
