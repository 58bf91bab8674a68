"""Local server processes: started in a session of their own, stopped as a whole tree.

A server leads its own session, so everything it starts carries its pid as session id; that
finds its processes even after the server itself died, and Linux never hands that pid to a
new process while any of them lives. A pid is only trusted with its start time.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from netra_runner.errors import ServiceError

SAME_START = 1.0  # seconds: start times are read from /proc with jiffy precision
STEP_TIMEOUT = 120.0
STOP_GRACE = 5.0


@dataclass(frozen=True)
class Account:
    """The unprivileged account a server runs as when netra-run is root."""

    name: str
    uid: int
    gid: int
    groups: frozenset[int]

    @classmethod
    def named(cls, name: str) -> Account:
        entry = pwd.getpwnam(name)
        groups = os.getgrouplist(name, entry.pw_gid)
        return cls(name, entry.pw_uid, entry.pw_gid, frozenset(groups))


def service_account() -> Account | None:
    """None when netra-run is not root: servers then run as the user who runs the tests."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return Account.named(name)
        except KeyError:
            continue
    raise ServiceError(
        "netra-run runs as root and Postgres refuses to; no unprivileged account (postgres or "
        "nobody) exists to run it as. Create one ('useradd --system postgres') or run as a user"
    )


def _as(account: Account | None) -> dict[str, Any]:
    """Popen's arguments to run as `account`, with none of root's supplementary groups."""
    if account is None:
        return {}
    return {"user": account.uid, "group": account.gid, "extra_groups": []}


def run_step(
    argv: list[str],
    *,
    cwd: Path,
    env: dict[str, str],
    log: Path,
    account: Account | None,
    stdin: str | None = None,
) -> None:
    """A set-up step (initdb, ...): its output goes to the service log; failing is an error
    that shows the output."""
    with log.open("a", encoding="utf-8") as out:
        out.write(f"$ {' '.join(argv)}\n")
        out.flush()
        try:
            done = subprocess.run(
                argv,
                cwd=cwd,
                env=env,
                input=stdin,
                text=True,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=STEP_TIMEOUT,
                **_as(account),
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise ServiceError(f"{Path(argv[0]).name} could not run: {exc}") from None
    if done.returncode != 0:
        lines = log.read_text(errors="replace").splitlines()[-20:]
        raise ServiceError(
            f"{Path(argv[0]).name} failed with exit code {done.returncode}:\n"
            + "\n".join(f"  {line}" for line in lines)
        )


def spawn(
    argv: list[str], *, cwd: Path, env: dict[str, str], log: Path, account: Account | None
) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        try:
            return subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **_as(account),
            )
        except OSError as exc:
            raise ServiceError(f"{argv[0]} could not start: {exc}") from None


def started_at(pid: int) -> float:
    return psutil.Process(pid).create_time()


def leader(pid: int, started: float) -> psutil.Process | None:
    """The process with this pid, if it is still the one that started then."""
    try:
        process = psutil.Process(pid)
        if abs(process.create_time() - started) <= SAME_START:
            return process
    except psutil.NoSuchProcess:
        return None
    return None


def running(pid: int, started: float) -> bool:
    process = leader(pid, started)
    try:
        return process is not None and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def members(pid: int, started: float) -> list[psutil.Process]:
    """The server and everything it started, still alive: its process tree and its session."""
    head = leader(pid, started)
    if head is None and psutil.pid_exists(pid):
        return []  # the pid is another process's now, so no session of ours is left
    found = {p.pid: p for p in _session(pid, started)}
    if head is not None:
        found[head.pid] = head
        with contextlib.suppress(psutil.NoSuchProcess):
            found.update((c.pid, c) for c in head.children(recursive=True))
    return [p for p in found.values() if _alive(p)]


def _session(sid: int, started: float) -> Iterator[psutil.Process]:
    for process in psutil.process_iter():
        try:
            if os.getsid(process.pid) == sid and process.create_time() >= started - SAME_START:
                yield process
        except (OSError, psutil.Error):
            continue


def stop(pid: int, started: float, sig: signal.Signals, grace: float = STOP_GRACE) -> None:
    """Ask the server to stop with its own signal, then what it leaves behind; kill whatever
    is still there after `grace` (Docker's stop, for a process tree)."""
    procs = members(pid, started)
    head = [p for p in procs if p.pid == pid] or procs
    _signal(head, sig)
    alive = _wait_gone(head, grace)
    rest = [p for p in procs if p not in head and _alive(p)] + alive
    _signal(rest, sig)
    alive = _wait_gone(rest, grace)
    _signal(alive, signal.SIGKILL)
    _wait_gone(alive, STOP_GRACE)


def _wait_gone(procs: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """Those still alive after `timeout`; a zombie is gone (its parent, maybe init, reaps it
    when it will)."""
    deadline = time.monotonic() + timeout
    while True:
        alive = [p for p in procs if _alive(p)]
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.02)


def _alive(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _signal(procs: list[psutil.Process], sig: signal.Signals) -> None:
    for process in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.send_signal(sig)
