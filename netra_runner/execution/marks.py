"""Every process a run starts carries a mark in its environment.

Descendants inherit it even after they leave the process tree (a double-forked daemon, a
session of its own, a pytest controller whose netra-run was SIGKILLed), so they can still be
found, the way Jenkins' ProcessTreeKiller finds a build's strays: at the end of the category
that started them, at the end of the run, and by the project's next run when the run that
started them is gone. A process without the mark is never touched.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import secrets
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psutil

from netra_runner.services.spec import project_id

VARIABLE = "NETRA_RUN_MARK"
GRACE = 2.0  # seconds between SIGTERM and SIGKILL


@dataclass(frozen=True)
class Mark:
    project: str
    owner_pid: int
    owner_started: float
    run: str
    category: str = ""  # empty: the run as a whole

    @classmethod
    def new(cls, project_file: Path) -> Mark:
        me = psutil.Process()
        started = round(me.create_time(), 2)
        return cls(project_id(project_file), me.pid, started, secrets.token_hex(4))

    def of(self, category: str) -> Mark:
        return dataclasses.replace(self, category=category)

    def __str__(self) -> str:
        return (
            f"{self.project}:{self.owner_pid}:{self.owner_started:.2f}:{self.run}:{self.category}"
        )

    @classmethod
    def parse(cls, text: str) -> Mark | None:
        parts = text.split(":", 4)
        if len(parts) != 5:
            return None
        try:
            return cls(parts[0], int(parts[1]), float(parts[2]), parts[3], parts[4])
        except ValueError:
            return None

    def same_run(self, other: Mark) -> bool:
        return dataclasses.replace(other, category="") == dataclasses.replace(self, category="")

    @property
    def owner_gone(self) -> bool:
        try:
            # A live pid with another start time is a new process that reused the number.
            return abs(psutil.Process(self.owner_pid).create_time() - self.owner_started) > 1.0
        except psutil.NoSuchProcess:
            return True


def marked(wanted: Callable[[Mark], bool]) -> list[psutil.Process]:
    """Processes whose mark is wanted (another account's cannot be read, and are skipped)."""
    found = []
    for process in psutil.process_iter():
        if process.pid == os.getpid():
            continue
        try:
            mark = Mark.parse(process.environ().get(VARIABLE, ""))
        except (psutil.Error, OSError):
            continue
        if mark is not None and wanted(mark):
            found.append(process)
    return found


def stop(processes: list[psutil.Process]) -> list[psutil.Process]:
    """SIGTERM, then SIGKILL after GRACE; returns those that were running."""
    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.send_signal(signal.SIGTERM)
    _, alive = psutil.wait_procs(processes, timeout=GRACE)
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(alive, timeout=GRACE)
    return processes


def stop_marked(mark: Mark) -> list[psutil.Process]:
    """What a category (or, with no category, the whole run) left running."""
    if mark.category:
        return stop(marked(lambda m: m == mark))
    return stop(marked(mark.same_run))


def stop_orphans(project: str) -> list[psutil.Process]:
    """What runs of this project that are gone left running."""
    return stop(marked(lambda m: m.project == project and m.owner_gone))
