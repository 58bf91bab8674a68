"""A service's set-up commands (migrations, seed data): run once it is healthy and before
any category that uses it starts, from the project root with its exports in the
environment. Output goes to the service's set-up log; a failure is the service's failure
(exit 3), with the command's last lines."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from netra_runner.errors import ServiceError
from netra_runner.services.local.processes import spawn
from netra_runner.services.spec import ServiceSpec

POLL = 0.2
TAIL_LINES = 30


def run_setup(
    spec: ServiceSpec, env: dict[str, str], root: Path, log: Path, stop: threading.Event
) -> float:
    """Run each command in turn; the seconds they took. Raises ServiceError."""
    began = time.monotonic()
    log.parent.mkdir(parents=True, exist_ok=True)
    deadline = began + spec.service.setup_timeout
    for argv in spec.service.setup:
        with _owner_only(log) as out:  # made owner-only before anything is written
            out.write(f"$ {shlex.join(argv)}\n".encode())
        code = _run(spec, argv, {**os.environ, **env}, root, log, deadline, stop)
        if code != 0:
            said = _tail(log)
            raise ServiceError(
                f"service {spec.name}: its set-up `{shlex.join(argv)}` {_how(code)}; "
                f"last lines of {log}:\n{said}"
            )
    return time.monotonic() - began


def _run(
    spec: ServiceSpec,
    argv: tuple[str, ...],
    env: dict[str, str],
    root: Path,
    log: Path,
    deadline: float,
    stop: threading.Event,
) -> int:
    try:  # in its own process group: a timeout ends what it started too
        child = spawn(list(argv), cwd=root, env=env, log=log, account=None)
    except ServiceError as exc:
        raise ServiceError(f"service {spec.name}: its set-up cannot start: {exc}") from None
    while True:
        try:
            return child.wait(timeout=POLL)
        except subprocess.TimeoutExpired:
            if stop.is_set() or time.monotonic() > deadline:
                _end(child)
                if stop.is_set():
                    stopping = f"service {spec.name}: set-up stopped: the run is stopping"
                    raise ServiceError(stopping) from None
                raise ServiceError(
                    f"service {spec.name}: its set-up `{shlex.join(argv)}` took over "
                    f"{spec.service.setup_timeout:g}s (setup_timeout); it was ended"
                ) from None


def _end(child: subprocess.Popen[bytes]) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, sig)
        try:
            child.wait(timeout=5)
            return
        except subprocess.TimeoutExpired:
            continue


@contextlib.contextmanager
def _owner_only(log: Path) -> Iterator[IO[bytes]]:
    """The set-up log, readable by its owner only: set-up output may hold secrets."""
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "ab") as out:
        yield out


def _how(code: int) -> str:
    return f"was killed by signal {-code}" if code < 0 else f"exited {code}"


def _tail(log: Path) -> str:
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").rstrip().splitlines()
    except OSError:
        return "(no output)"
    return "\n".join(f"  {line}" for line in lines[-TAIL_LINES:]) or "  (no output)"
