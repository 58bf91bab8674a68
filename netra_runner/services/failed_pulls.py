"""Images an engine could not pull, remembered for a while (per engine, in the user's cache):
an air-gapped machine is told once, not on every run, and no run waits on a registry it
could not reach a moment ago."""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

REMEMBERED = 6 * 3600.0  # seconds a failed pull is not tried again


def memory_file() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "netra-run" / "failed-pulls.json"


def _read() -> dict[str, dict[str, dict[str, object]]]:
    try:
        data = json.loads(memory_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def remembered(engine: str, image: str, now: float | None = None) -> str | None:
    """Why the image could not be pulled on this engine lately, or None."""
    entry = _read().get(engine, {}).get(image)
    if not isinstance(entry, dict):
        return None
    moment = entry.get("t")
    if not isinstance(moment, int | float) or (now or time.time()) - moment > REMEMBERED:
        return None
    return str(entry.get("reason", ""))


def remember(engine: str, image: str, reason: str | None) -> None:
    """A failed pull (reason), or a pulled image (None: forgotten)."""
    data = _read()
    images = data.setdefault(engine, {})
    if reason is None:
        if images.pop(image, None) is None:
            return
    else:
        images[image] = {"t": time.time(), "reason": reason}
    path = memory_file()
    with contextlib.suppress(OSError):  # a read-only home: every run tries again
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        partial.write_text(json.dumps(data), encoding="utf-8")
        partial.replace(path)
