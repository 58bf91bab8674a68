"""Services watched while suites that use them run: one that exits, or whose health probe
keeps failing, is *down*, said at once with why and its last log lines, so the failures of
the tests that were using it are not read as test failures (execution/infrastructure.py).

For the services a running category uses: once a second a look at whether the container
or process still runs (cheap), and every 5 s the probe it was started with (a `docker
exec` is not cheap), at once when a test failed or a suite asks before a retry. A probe
that only made sense while starting (a log line, "still running", the image's HEALTHCHECK)
is not repeated: those services are watched for staying up. Each probe's verdict is written
to a file per service (`health_file`): a suite's plugin retries a failed test only once a
probe after the failure found its services up (worker_env.services_up_since).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from netra_runner.plugin.agreement import ASKED
from netra_runner.services.health import EngineProbe, LogProbe, Probe, RunningProbe

if TYPE_CHECKING:
    from netra_runner.services.session import ServiceSession

INTERVAL = 1.0  # seconds between looks at whether a service still runs (cheap)
PROBE_EVERY = (
    5.0  # seconds between its health probes (a `docker exec` is not), unless a test failed
)
DOWN_AFTER = 10.0  # seconds a running service's probe may fail in a row (at most its timeout)
LOG_LINES = 20
_START_ONLY = (LogProbe, RunningProbe, EngineProbe)


@dataclass(frozen=True)
class Outage:
    service: str
    since: float  # epoch seconds of its last good check: what failed after was its doing
    detected: float  # epoch seconds
    reason: str  # "exited with code 137", "unhealthy for 10s: ..."
    logs: str  # its last lines, secrets masked


class ServiceWatch:
    def __init__(
        self,
        session: ServiceSession,
        on_down: Callable[[Outage], None],
        interval: float = INTERVAL,
    ) -> None:
        self.session = session
        self.folder = session.log_dir / ".health"
        self.on_down = on_down
        self.interval = interval
        self._lock = threading.Lock()
        self._in_use: set[str] = set()
        self._down: dict[str, Outage] = {}
        self._last_ok: dict[str, float] = {}
        self._failing_since: dict[str, float] = {}
        self._probes: dict[str, tuple[Probe, float]] = {}
        self._probed_at: dict[str, float] = {}
        self._answered = 0.0  # the last ask for a verdict answered
        self._stop = threading.Event()
        self._soon = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="service-watch", daemon=True)

    def start(self) -> ServiceWatch:
        self.folder.mkdir(parents=True, exist_ok=True)
        for stale in self.folder.iterdir():  # an earlier run's verdicts
            stale.unlink(missing_ok=True)
        self._thread.start()
        return self

    def health_file(self, name: str) -> Path:
        return self.folder / name

    def close(self) -> None:
        self._stop.set()
        self._soon.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def use(self, names: set[str]) -> None:
        """The services running categories use now: only those are checked."""
        with self._lock:
            for name in names - self._in_use:
                self._last_ok[name] = time.time()  # healthy when the category started
                self._verdict(name, {"up_at": self._last_ok[name]})
            self._in_use = set(names)

    def check_soon(self) -> None:
        """A test failed: check now, so that a failure of its own is told apart from an
        outage to within a moment, and a retry waiting for a verdict waits less."""
        self._soon.set()

    def forget(self, name: str) -> None:
        """It is being started again: watched anew once it is healthy."""
        with self._lock:
            self._down.pop(name, None)
            self._failing_since.pop(name, None)
            self._probes.pop(name, None)
            self._probed_at.pop(name, None)
            self._last_ok[name] = time.time()

    def outages(self) -> dict[str, Outage]:
        with self._lock:
            return dict(self._down)

    def _loop(self) -> None:
        while not self._stop.is_set():
            asked = self._soon.wait(self.interval) or self._asked()
            self._soon.clear()
            if self._stop.is_set():
                return
            with self._lock:
                watched = sorted(self._in_use - set(self._down))
            for name in watched:
                self._look_at(name, asked)

    def _look_at(self, name: str, asked: bool) -> None:
        """One service's check. Whatever the engine answers (a container removed between two
        calls, say), the watcher goes on: it must never die with a traceback of its own."""
        try:
            reason = self._check(name, asked)
        except Exception:  # the engine's hiccup: the next look says what it is
            return
        if reason is not None and not self._stop.is_set() and not self._given_up(name):
            self._mark(name, reason)

    def _given_up(self, name: str) -> bool:
        return self.session.given_up(name)

    def _check(self, name: str, asked: bool) -> str | None:
        """Why the service is down, or None. Its probe runs when due, when a test failed,
        and while it fails; only a probe that passed moves its last good check."""
        future = self.session.healthy(name)
        if not future.done() or future.exception() is not None or self._given_up(name):
            return None
        instance = future.result().instance
        now = time.time()
        running, state = instance.state()
        if not running:
            return state
        probe, timeout = self._probe(name)
        with self._lock:
            due = asked or name in self._failing_since
            due = due or now - self._probed_at.get(name, 0.0) >= PROBE_EVERY
        if not due and not isinstance(probe, _START_ONLY):
            return None
        self._probed_at[name] = now
        ok, detail = (True, "") if isinstance(probe, _START_ONLY) else probe.check(instance)
        with self._lock:
            if ok:
                self._last_ok[name] = now
                self._failing_since.pop(name, None)
                self._verdict(name, {"up_at": now})
                return None
            first = self._failing_since.setdefault(name, now)
        failing = now - first
        return (
            f"unhealthy for {failing:.0f}s: {detail}"
            if failing >= min(timeout, DOWN_AFTER)
            else None
        )

    def _asked(self) -> bool:
        """A suite's plugin asks for a verdict before it retries a test (ASKED)."""
        try:
            asked = (self.folder / ASKED).stat().st_mtime
        except OSError:
            return False
        if asked <= self._answered:
            return False
        self._answered = asked
        return True

    def _probe(self, name: str) -> tuple[Probe, float]:
        if name not in self._probes:
            self._probes[name] = self.session.probe(name)
        return self._probes[name]

    def _mark(self, name: str, reason: str) -> None:
        instance = self.session.healthy(name).result().instance
        try:
            logs = self.session.redact(instance.logs(tail=LOG_LINES).rstrip())
        except Exception as exc:  # removed meanwhile: the outage is said all the same
            logs = f"(its logs could not be read: {type(exc).__name__})"
        with self._lock:
            since = self._last_ok.get(name, time.time())
            outage = Outage(name, since, time.time(), self.session.redact(reason), logs)
            self._down[name] = outage
        self._verdict(name, {"down": outage.reason})
        self.on_down(outage)

    def _verdict(self, name: str, said: dict[str, object]) -> None:
        path = self.health_file(name)
        partial = path.with_name(f".{name}.partial")
        try:
            partial.write_text(json.dumps(said), encoding="utf-8")
            partial.replace(path)  # a reader never sees half of one
        except OSError:
            pass  # a test deleted the reports folder: the plugin then retries as before
