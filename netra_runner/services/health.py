"""Health checks: small probe objects sharing one polling loop (testcontainers' wait strategies).

A probe answers (healthy, detail) once; `wait_healthy` polls it every `interval` until it
passes, the service exits, or `timeout` runs out, and keeps the history for the error.
"""

from __future__ import annotations

import re
import shlex
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from netra_runner.config import Healthcheck, Service

TCP_SETTLE = 0.2  # how long a connection must stay open to count as a live listener
DEFAULT_TIMEOUT = 60.0
DEFAULT_INTERVAL = 0.2


class Instance(Protocol):
    host: str
    ports: dict[int, int]

    def exec(self, argv: tuple[str, ...]) -> tuple[int, str]: ...
    def logs(self, tail: int | None = None) -> str: ...
    def state(self) -> tuple[bool, str]: ...
    def engine_health(self) -> str | None: ...


class Probe(Protocol):
    @property
    def description(self) -> str: ...

    def check(self, instance: Instance) -> tuple[bool, str]: ...


@dataclass(frozen=True)
class ExecProbe:
    argv: tuple[str, ...]

    @property
    def description(self) -> str:
        return f"exec: {shlex.join(self.argv)}"

    def check(self, instance: Instance) -> tuple[bool, str]:
        code, output = instance.exec(self.argv)
        last = output.strip().splitlines()[-1:] or [""]
        return code == 0, f"exit {code}: {last[0][:200]}"


@dataclass(frozen=True)
class TcpProbe:
    port: int

    @property
    def description(self) -> str:
        return f"tcp: {self.port}"

    def check(self, instance: Instance) -> tuple[bool, str]:
        host_port = instance.ports[self.port]
        try:
            with socket.create_connection((instance.host, host_port), timeout=1.0) as conn:
                # Docker's port proxy accepts and then closes when nothing listens behind it;
                # a real server keeps the connection open (or greets).
                conn.settimeout(TCP_SETTLE)
                try:
                    greeting = conn.recv(1)
                except TimeoutError:
                    return True, "listening"
                return bool(greeting), "greeted" if greeting else "closed at once"
        except OSError as exc:
            return False, str(exc)


@dataclass(frozen=True)
class RedisPingProbe:
    """PING in Redis's own protocol: for machines without redis-cli."""

    port: int

    @property
    def description(self) -> str:
        return f"redis: PING on {self.port}"

    def check(self, instance: Instance) -> tuple[bool, str]:
        try:
            with socket.create_connection((instance.host, instance.ports[self.port]), 1.0) as conn:
                conn.settimeout(1.0)
                conn.sendall(b"PING\r\n")
                reply = conn.recv(128).decode(errors="replace").strip()
        except OSError as exc:
            return False, str(exc)
        # An answer that asks for a password still means the server is up (as pg_isready).
        return reply == "+PONG" or reply.startswith(("-NOAUTH", "-WRONGPASS")), reply or "closed"


@dataclass(frozen=True)
class HttpProbe:
    port: int
    path: str
    status: int
    body: str | None

    @property
    def description(self) -> str:
        return f"http: GET :{self.port}{self.path} -> {self.status}"

    def check(self, instance: Instance) -> tuple[bool, str]:
        import urllib.error  # with ssl and http.client: not on every run's path
        import urllib.request

        url = f"http://{instance.host}:{instance.ports[self.port]}{self.path}"
        try:
            with urllib.request.urlopen(
                url, timeout=2.0
            ) as response:  # our own service, on 127.0.0.1
                code, text = response.status, response.read(65536).decode(errors="replace")
        except urllib.error.HTTPError as exc:
            code, text = exc.code, ""
        except OSError as exc:
            return False, str(exc)
        if code != self.status:
            return False, f"status {code}"
        if self.body and not re.search(self.body, text):
            return False, f"status {code}, body does not match {self.body!r}"
        return True, f"status {code}"


@dataclass(frozen=True)
class LogProbe:
    pattern: str

    @property
    def description(self) -> str:
        return f"log: /{self.pattern}/"

    def check(self, instance: Instance) -> tuple[bool, str]:
        found = re.search(self.pattern, instance.logs(), re.MULTILINE)
        return bool(found), "found in the log" if found else "not in the log yet"


@dataclass(frozen=True)
class EngineProbe:
    description: str = "docker: the image's HEALTHCHECK"

    def check(self, instance: Instance) -> tuple[bool, str]:
        status = instance.engine_health()
        if status is None:
            return False, "the image defines no HEALTHCHECK"
        return status == "healthy", status


class RunningProbe:  # not frozen: it remembers when it first saw the service running
    """Without a check, "healthy" means still running a moment later: a container that
    exits at once (a bad command) is seen running by the first look."""

    description = "running (no health check configured)"
    settle = 0.5

    def __init__(self) -> None:
        self.first_seen: float | None = None

    def check(self, instance: Instance) -> tuple[bool, str]:
        now = time.monotonic()
        if self.first_seen is None:
            self.first_seen = now
        if now - self.first_seen < self.settle:
            return False, "running; making sure it stays up"
        return True, "running"


def probe_for(service: Service) -> tuple[Probe, float, float]:
    """The probe, interval and timeout a service's config asks for."""
    check = service.healthcheck
    if check is None:
        default: Probe = TcpProbe(service.ports[0].container) if service.ports else RunningProbe()
        return default, DEFAULT_INTERVAL, DEFAULT_TIMEOUT
    return _probe(check, service), check.interval, check.timeout


def _probe(check: Healthcheck, service: Service) -> Probe:
    first_port = service.ports[0].container if service.ports else 80
    if check.exec is not None:
        return ExecProbe(check.exec)
    if check.tcp is not None:
        return TcpProbe(check.tcp)
    if check.http is not None:
        http = check.http
        return HttpProbe(http.port or first_port, http.path, http.status, http.body)
    if check.log is not None:
        return LogProbe(check.log)
    return EngineProbe()


@dataclass
class HealthReport:
    healthy: bool
    elapsed: float
    history: list[str] = field(default_factory=list)
    exited: str | None = None  # set when the service stopped while we waited


def wait_healthy(
    instance: Instance,
    probe: Probe,
    interval: float,
    timeout: float,
    stop: threading.Event | None = None,
    history_size: int = 10,
) -> HealthReport:
    stop = stop or threading.Event()
    started = time.monotonic()
    report = HealthReport(healthy=False, elapsed=0.0)
    while not stop.is_set():
        elapsed = time.monotonic() - started
        running, state = instance.state()
        if not running:
            report.exited, report.elapsed = state, elapsed
            return report
        ok, detail = probe.check(instance)
        report.history = [*report.history, f"{elapsed:6.1f}s  {detail}"][-history_size:]
        if ok:
            report.healthy, report.elapsed = True, time.monotonic() - started
            return report
        if elapsed >= timeout:
            report.elapsed = elapsed
            return report
        stop.wait(interval)
    report.elapsed = time.monotonic() - started
    return report


EXEC_TIMEOUT = 10.0


def run_check(command: list[str], env: dict[str, str], cwd: Path | None = None) -> tuple[int, str]:
    """An exec health check run on this machine (local or external services): its exit
    code and output; a missing client is 127, one that hangs 124, as a shell says."""
    try:
        done = subprocess.run(
            command,
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=EXEC_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        return 127, f"{command[0]}: not found on this machine"
    except subprocess.TimeoutExpired:
        return 124, f"still running after {EXEC_TIMEOUT:.0f}s"
    return done.returncode, done.stdout + done.stderr
