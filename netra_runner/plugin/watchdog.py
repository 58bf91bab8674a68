"""The per-test timeout that holds however a test blocks.

The soft timeout (SIGALRM) fails a test where it is stuck, but a test can mask the signal,
spin in C code that never returns to the interpreter, or hold the GIL. So every test is
also armed with faulthandler's watchdog: a C thread that needs neither the GIL nor a
signal, and that, a little after the soft timeout, writes every thread's stack to a file
and ends the process. Whoever then sees the process gone (the xdist controller for a
worker, netra-run itself without xdist) reads the file and reports the test as timed out.

Imported by every test process: standard library only.
"""

from __future__ import annotations

import faulthandler
import os
from dataclasses import dataclass
from pathlib import Path

GRACE = 2.0  # seconds past the soft timeout before the process is ended
_HEADER = "netra-watchdog"


@dataclass(frozen=True)
class Expired:
    nodeid: str
    seconds: float
    stacks: str

    @property
    def message(self) -> str:
        return (
            f"timeout after {self.seconds:g}s: the test did not stop at its timeout (signals "
            f"blocked, or stuck in C code), so its process was ended {GRACE:g}s later"
        )


class Watchdog:
    """One per test process; arm() before each test, disarm() after it."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)

    def arm(self, nodeid: str, seconds: float) -> None:
        os.ftruncate(self.fd, 0)
        os.write(self.fd, f"{_HEADER} {seconds!r} {nodeid}\n".encode())
        faulthandler.dump_traceback_later(seconds + GRACE, exit=True, file=self.fd)

    def disarm(self) -> None:
        faulthandler.cancel_dump_traceback_later()
        os.ftruncate(self.fd, 0)

    def close(self) -> None:
        faulthandler.cancel_dump_traceback_later()
        os.close(self.fd)


def expired(path: Path) -> Expired | None:
    """What the watchdog wrote if it ended the process, else None."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    header, _, stacks = text.partition("\n")
    parts = header.split(" ", 2)
    if len(parts) != 3 or parts[0] != _HEADER or "Timeout (" not in stacks:
        return None
    try:
        seconds = float(parts[1])
    except ValueError:
        return None
    return Expired(parts[2], seconds, _oldest_first(stacks))


def _oldest_first(dump: str) -> str:
    """faulthandler lists frames most recent first; shown like a Python traceback instead,
    so the last lines (what a summary shows) are where each thread was stuck."""
    out: list[str] = []
    frames: list[str] = []
    for line in dump.strip().splitlines():
        if line.startswith("  File "):
            frames.append(line)
            continue
        out += reversed(frames)
        frames = []
        out.append(line.replace("(most recent call first)", "(most recent call last)"))
    return "\n".join([*out, *reversed(frames)])
