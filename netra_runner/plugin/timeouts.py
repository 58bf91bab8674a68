"""A test's time limits: netra-run's alarm (SIGALRM in the main thread, so the
traceback shows where the test was) under the suite's own pytest-timeout, and the watchdog
outside Python (watchdog.py) for a test that does not stop at it."""

from __future__ import annotations

import signal
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import pytest

from netra_runner.plugin import worker_env
from netra_runner.plugin.nodeids import rebase
from netra_runner.plugin.watchdog import Watchdog


class TestTimeout(Exception):
    """Raised inside a test that ran past its timeout, so the traceback shows where it was."""

    __test__ = False


# What else was going on when a test timed out (its other threads, its services), taken
# when the alarm fires and put on the failed report: a hang on a dead database reads as that.
at_the_timeout: list[str] = []


def with_context(reports: list[pytest.TestReport], context: str) -> None:
    failed = next((r for r in reports if r.failed), None)
    if failed is not None and context:
        failed.sections.append(("at the timeout", context))


def _at_timeout() -> str:
    """The stacks of the test's other threads and its services' last verdicts."""
    main = threading.main_thread().ident
    names = {t.ident: t.name for t in threading.enumerate()}
    parts = [
        f"thread {names.get(ident, ident)}:\n{''.join(traceback.format_stack(frame)).rstrip()}"
        for ident, frame in sys._current_frames().items()
        if ident != main
    ]
    services = worker_env.services_state()
    if services:
        parts.append("services:\n" + services)
    return "\n\n".join(parts)


def timeouts(netra: float, suite: float | None) -> tuple[float, float]:
    """netra-run's alarm for a test, and the watchdog's bound (0: none). netra-run's timeout
    is a default: where the suite's own pytest-timeout setting is stricter (or netra-run's
    is off) that one fires, in its own way, and netra-run sets no alarm over it."""
    if suite is not None and (netra <= 0 or suite <= netra):
        return 0.0, suite
    return netra, netra


def suite_timeout(item: pytest.Item) -> float | None:
    """pytest-timeout's timeout for this test (its marker, --timeout, ini or environment),
    read by pytest-timeout itself; None where it is not loaded or sets none."""
    manager = item.config.pluginmanager
    plugin = manager.get_plugin("timeout") or manager.get_plugin("pytest_timeout")
    settings_of = getattr(plugin, "_get_item_settings", None)
    if settings_of is None:
        return None
    try:
        seconds = settings_of(item).timeout
    except Exception:  # a bad marker: pytest-timeout reports it itself, in the test
        return None
    return float(seconds) if isinstance(seconds, int | float) and seconds > 0 else None


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    if seconds <= 0:
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        at_the_timeout[:] = [_at_timeout()]
        raise TestTimeout(f"timeout after {seconds:g}s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class HardTimeout:
    """Holds the process's watchdog; closes it with the session."""

    def __init__(self, watchdog: Watchdog, base: str) -> None:
        self.watchdog = watchdog
        self.base = base

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.watchdog.close()


@contextmanager
def hard_limit(guard: HardTimeout | None, nodeid: str, seconds: float) -> Iterator[None]:
    if guard is None or seconds <= 0:
        yield
        return
    guard.watchdog.arm(rebase(nodeid, guard.base), seconds)
    try:
        yield
    finally:
        guard.watchdog.disarm()
