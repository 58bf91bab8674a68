"""Child processes: own session, no stdin, tracked in one place, stopped as a tree.

Stopping follows tox: SIGINT (pytest then still writes its JUnit), SIGTERM, SIGKILL,
each after a deadline, to the whole process group and any descendant that left it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

import psutil

from netra_runner.execution.cgroups import Cgroups
from netra_runner.execution.marks import VARIABLE, Mark, stop_marked, stop_orphans

INTERRUPT_GRACE = 3.0
STOPPED = -2  # the exit code of a child never started: its category was stopped first
TERMINATE_GRACE = 2.0


class CategoryTimeout(Exception):
    """A child ran past its deadline; its tree has been stopped."""


class ChildProcesses:
    """Starts children and guarantees none outlives the `with` block: neither their trees
    nor, when given a mark (marks.py), any process descended from them."""

    def __init__(self, mark: Mark | None = None) -> None:
        self._running: dict[subprocess.Popen[bytes], str] = {}  # -> its category
        self._lock = threading.Lock()
        self.stopping: str | None = None  # why stop_all ran: exits after that were our doing
        self._stopped: dict[str, str] = {}  # categories stopped on their own, and why
        self.mark = mark
        self.cgroups: Cgroups | None = None

    def __enter__(self) -> ChildProcesses:
        if self.mark is not None:
            stop_orphans(self.mark.project)  # left by runs of this project that are gone
        self.cgroups = Cgroups.create()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop_running()
        if self.mark is not None:
            stop_marked(self.mark)
        if self.cgroups is not None:
            self.cgroups.close()

    def run(
        self,
        argv: Sequence[str],
        cwd: Path,
        env: Mapping[str, str],
        log: Path,
        timeout: float | None = None,
        append: bool = False,
        category: str = "",
        share: str = "",
    ) -> int:
        """Run to completion with output to `log`. Past `timeout` the tree is stopped and
        CategoryTimeout raised; an interrupt stops the tree too, then re-raises. Whatever it
        started that is still running afterwards (a daemon) is stopped too: what it (the
        `share` of a sliced category) left, never what the category's other processes run."""
        if self.why_stopped(category):
            return STOPPED  # stopped before it started: nothing of it may run now
        marked_as = f"{category}/{share}" if share else category
        mark = self.mark.of(marked_as) if self.mark is not None else None
        if mark is not None:
            env = {**env, VARIABLE: str(mark)}
        log.parent.mkdir(parents=True, exist_ok=True)  # a test may have deleted the folder
        with log.open("ab+" if append else "wb+") as out:
            proc = subprocess.Popen(
                list(argv),
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            # Moved before it can have started anything (pytest takes a while to import):
            # all it starts is then held, whatever session or environment it gives itself.
            scope = self.cgroups.scope(marked_as) if self.cgroups is not None else None
            if scope is not None:
                scope.add(proc.pid)
            with self._lock:
                self._running[proc] = category
            try:
                return proc.wait(timeout=None if timeout is None else max(timeout, 0.0))
            except subprocess.TimeoutExpired:
                stop_tree(proc)
                raise CategoryTimeout from None
            finally:
                stop_tree(proc)
                with self._lock:
                    self._running.pop(proc, None)
                if mark is not None and mark.category:
                    stop_marked(mark)
                if scope is not None:
                    scope.stop()
                _put_back(out, log)

    def stop_all(self, reason: str = "the run was stopped") -> None:
        with self._lock:
            self.stopping = self.stopping or reason
        self._stop_running()

    def stop(self, category: str, reason: str) -> None:
        """Stop one category's processes (and any it starts later), the others run on."""
        with self._lock:
            self._stopped.setdefault(category, reason)
        self._stop_running(category)

    def allow(self, category: str) -> None:
        """The category may run again (its service was started anew)."""
        with self._lock:
            self._stopped.pop(category, None)

    def why_stopped(self, category: str) -> str | None:
        with self._lock:
            return self.stopping or self._stopped.get(category)

    def _stop_running(self, category: str | None = None) -> None:
        with self._lock:
            running = [p for p, of in self._running.items() if category in (None, of)]
        for proc in running:
            stop_tree(proc)


def stop_tree(proc: subprocess.Popen[bytes]) -> None:
    """Stop proc, its process group and every descendant (also what it left behind)."""
    # Our own child is waited for through Popen only: if psutil reaped it, Popen would
    # report exit 0 for a process we killed.
    others = [p for p in _tree(proc.pid) if p.pid != proc.pid]
    for sig, grace in ((signal.SIGINT, INTERRUPT_GRACE), (signal.SIGTERM, TERMINATE_GRACE)):
        if proc.poll() is not None and not others:
            return
        _signal_group(proc.pid, sig)
        for p in others:
            _send(p, sig)
        deadline = time.monotonic() + grace
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
        _, others = psutil.wait_procs(others, timeout=max(deadline - time.monotonic(), 0))
    _signal_group(proc.pid, signal.SIGKILL)
    for p in others:
        _send(p, signal.SIGKILL)
    proc.wait()
    psutil.wait_procs(others, timeout=1)


def _tree(pid: int) -> list[psutil.Process]:
    found: dict[int, psutil.Process] = {}
    try:
        leader = psutil.Process(pid)
        found = {p.pid: p for p in (leader, *leader.children(recursive=True))}
    except psutil.NoSuchProcess:
        pass
    for p in psutil.process_iter():
        if p.pid not in found and _group_of(p.pid) == pid:
            found[p.pid] = p
    return [p for p in found.values() if _alive(p)]


def _group_of(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except (ProcessLookupError, PermissionError):
        return None


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _send(p: psutil.Process, sig: signal.Signals) -> None:
    with contextlib.suppress(psutil.NoSuchProcess):
        p.send_signal(sig)


def _put_back(handle: IO[bytes], path: Path) -> None:
    """The log was deleted while the child wrote it (a test removing the reports folder):
    what it said is still behind the handle, so it goes back where readers look."""
    if os.fstat(handle.fileno()).st_nlink:
        return
    handle.seek(0)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as restored:
        shutil.copyfileobj(handle, restored)
