"""Where local services live: one private folder per instance, with a record of who owns it.

    <tmp>/netra-run-<uid>/<project>/<instance>/
        instance.json   labels (run, owner pid and start time, keep, hash), ports, server pid
        service.log     what the server and its set-up steps printed
        home/           the server's own files (data, sockets), owned by the account it runs as

The record plays the part of Docker's labels: the next run finds a dead run's servers by it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from netra_runner.errors import ServiceError

RECORD = "instance.json"
LOG = "service.log"
HOME = "home"


@dataclass(frozen=True)
class Record:
    service: str
    labels: dict[str, str]
    ports: dict[int, int]  # the service's own port -> the port on 127.0.0.1
    runs: str  # what runs, from where: shown by `services status`
    pid: int | None = None  # the server, once started; it leads its own session
    pid_started: float | None = None
    stop_signal: str = "SIGTERM"  # how the server asks to be stopped (Postgres: SIGINT)

    def save(self, folder: Path) -> None:
        data = dataclasses.asdict(self)
        data["ports"] = {str(k): v for k, v in self.ports.items()}
        partial = folder / f".{RECORD}.{os.getpid()}"
        partial.write_text(json.dumps(data, indent=1), encoding="utf-8")
        partial.chmod(0o600)
        partial.replace(folder / RECORD)  # a reader never sees half a record

    @classmethod
    def load(cls, folder: Path) -> Record | None:
        try:
            data = json.loads((folder / RECORD).read_text(encoding="utf-8"))
            data["ports"] = {int(k): int(v) for k, v in data["ports"].items()}
            return cls(**data)
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None


def state_root() -> Path:
    return Path(tempfile.gettempdir()) / f"netra-run-{os.getuid()}"


def project_folder(project_id: str) -> Path:
    """This project's instance folders; others may pass through (a server running as another
    account reaches its own home) but not list them."""
    root = state_root()
    folder = root / project_id
    for path in (root, folder):
        with contextlib.suppress(FileExistsError):
            path.mkdir(mode=0o711)
        _check_owned(path)
        path.chmod(0o711)
    return folder


def _check_owned(path: Path) -> None:
    # A shared temp folder: someone else may have made this name first, to catch our files.
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise ServiceError(
            f"{path} is not a folder of this user's; netra-run keeps local services there. "
            "Remove it, or set TMPDIR to another folder"
        )


def instance_folders(project: Path) -> list[Path]:
    return sorted(p for p in project.iterdir() if p.is_dir()) if project.is_dir() else []


def remove_folder(folder: Path) -> None:
    """Best effort: another run reaping the same orphan may be removing it too."""
    shutil.rmtree(folder, ignore_errors=True)


def tail(path: Path, lines: int | None) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    if lines is None:
        return text
    return "".join(text.splitlines(keepends=True)[-lines:]) if lines > 0 else ""
