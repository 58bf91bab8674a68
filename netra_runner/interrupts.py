"""Ctrl-C and SIGTERM: one path, children stopped, reports kept, exit 130.

Python raises KeyboardInterrupt between any two bytecodes, and the standard library does
not survive every such place (a lock's release in `Condition.wait`, a pool's shutdown): an
error that follows an interrupt is the interrupt's, and the run's true exit is still 130.
So the handler records that one came before raising.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType

_received: list[int] = []


def received() -> bool:
    """Whether Ctrl-C or SIGTERM came during this run."""
    return bool(_received)


def forget() -> None:
    """A new run: an interrupt an earlier one (in the same process) took is not its."""
    _received.clear()


@contextlib.contextmanager
def as_interrupt() -> Iterator[None]:
    """Both signals raise KeyboardInterrupt, and are recorded. An ignored SIGINT (a job
    started in the background by a shell) stays ignored."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        _received.append(signum)
        raise KeyboardInterrupt

    _received.clear()
    taken = [signal.SIGTERM]
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        taken.append(signal.SIGINT)
    previous = {sig: signal.signal(sig, interrupt) for sig in taken}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
