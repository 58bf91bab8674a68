"""Each process a run starts in a cgroup of its own (cgroup v2), the way systemd scopes hold
a service: whatever it starts stays in the cgroup, even a daemon that left the process
group, the session and the environment (`Popen(..., env={...}, start_new_session=True)`),
so stopping the cgroup stops all of it.

Used where the machine lets netra-run make cgroups (Linux with a cgroup v2 hierarchy, in
CI as root); elsewhere, and for anything started before its move, the mark (marks.py) is
the fallback. Set NETRA_CGROUPS=0 to use the mark alone.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import signal
import time
from pathlib import Path

import psutil

PREFIX = "netra-run-"  # the run's own cgroup: netra-run-<pid>
SWITCH = "NETRA_CGROUPS"
GRACE = 1.0  # seconds between SIGTERM and SIGKILL for what is left in a cgroup
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


class Scope:
    """One cgroup and the ones below it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def add(self, pid: int) -> bool:
        try:
            (self.path / "cgroup.procs").write_text(str(pid))
        except OSError:  # it already exited, or the move is not allowed here
            return False
        return True

    def pids(self) -> list[int]:
        found = []
        for folder in (self.path, *(p for p in self.path.rglob("*") if p.is_dir())):
            with contextlib.suppress(OSError, ValueError):
                found += [int(n) for n in (folder / "cgroup.procs").read_text().split()]
        return found

    def stop(self) -> None:
        """What is still in it: SIGTERM, then after a grace SIGKILL; then it is removed."""
        left = self.pids()
        if left:
            for pid in left:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGTERM)
            if not _emptied(self, GRACE):
                self._kill()
                _emptied(self, 5.0)
        self._remove()

    def _kill(self) -> None:
        try:
            (self.path / "cgroup.kill").write_text("1")  # Linux 5.14+: the kernel does it
        except OSError:
            for pid in self.pids():
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)

    def _remove(self) -> None:
        folders = sorted(
            (p for p in self.path.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)
        )
        for folder in (*folders, self.path):
            with contextlib.suppress(OSError):
                folder.rmdir()


class Cgroups:
    """The run's cgroup, with a scope for each process it starts."""

    def __init__(self, root: Path) -> None:
        self.root = Scope(root)
        self._count = itertools.count(1)

    @classmethod
    def create(cls) -> Cgroups | None:
        """None where cgroups cannot be made here: the mark alone then contains."""
        base = own_cgroup()
        if base is None:
            return None
        reap_orphans(base)
        root = base / f"{PREFIX}{os.getpid()}"
        try:
            root.mkdir(exist_ok=True)
        except OSError:
            return None
        return cls(root)

    def scope(self, name: str) -> Scope | None:
        path = self.root.path / f"{_UNSAFE.sub('_', name) or 'run'}-{next(self._count)}"
        try:
            path.mkdir()
        except OSError:
            return None
        return Scope(path)

    def close(self) -> None:
        self.root.stop()


def own_cgroup() -> Path | None:
    """This process's cgroup in the v2 hierarchy, if there is one and netra-run may use it."""
    if os.environ.get(SWITCH) == "0":
        return None
    try:
        mounts = Path("/proc/self/mountinfo").read_text().splitlines()
        own = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    mount = next((line.split()[4] for line in mounts if " - cgroup2 " in line), None)
    path = next((line[3:] for line in own if line.startswith("0::")), None)
    if mount is None or path is None:
        return None
    base = Path(mount) / path.lstrip("/")
    return base if os.access(base, os.W_OK) else None


def reap_orphans(base: Path) -> None:
    """Cgroups of runs that are gone (netra-run was SIGKILLed): what is in them is stopped."""
    with contextlib.suppress(OSError):
        for folder in base.glob(f"{PREFIX}*"):
            owner = folder.name.removeprefix(PREFIX)
            if owner.isdigit() and not psutil.pid_exists(int(owner)):
                Scope(folder).stop()


def _emptied(scope: Scope, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while scope.pids():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
