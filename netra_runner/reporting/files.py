"""Report files: replaced whole, so a reader never sees one half-written; and only ever
files netra-run can tell it wrote, so a mistyped flag never costs the user a file.

A path that is not a regular file (`/dev/null`, a FIFO, a terminal) is written through:
replacing it by a rename would turn a device into a regular file.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from netra_runner.errors import UsageError

# Written in every reports folder netra-run uses: a folder holding it is one it made.
MARKER = ".netra-reports"
# What a reports folder of a version without the marker held: such a folder is adopted.
OWN_NAMES = frozenset(
    {
        MARKER,
        "junit.xml",
        "report.json",
        "report.html",
        "events.ndjson",
        "categories",
        "services",
        "durations.json",
        "netra-run-error.log",
        ".coverage",
        "coverage.xml",
        "coverage.json",
        "coverage-request.json",
        "coverage-result.json",
    }
)
# In the first bytes of each report netra-run writes (JUnit, report.json, report.html).
_SIGNATURE = re.compile(
    rb'<testsuites name="netra-run"'
    rb'|"tool"\s*:\s*\{\s*"name"\s*:\s*"netra-run"'
    rb"|<title>netra-run report"
)
_SNIFFED = 4096


def write_atomically(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> None:
    if is_special(path):
        with path.open("wb") as out:  # a device or a pipe: written to, never replaced
            out.write(data)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    partial.replace(path)


def is_special(path: Path) -> bool:
    """An existing path that is neither a regular file nor a folder."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def check_replaceable(path: Path, what: str) -> None:
    """A report may go to a new path, a device or pipe, an empty file, or a report
    netra-run wrote before; anything else is the user's file, and stays so."""
    if path.is_dir():
        raise UsageError(f"{what}: is a folder; give the report's file name")
    if not path.exists() or is_special(path) or written_by_us(path):
        return
    raise UsageError(
        f"{what}: {path} exists and is not a report netra-run wrote; "
        "it is left as it is (remove it, or name another file)"
    )


def written_by_us(path: Path) -> bool:
    try:
        with path.open("rb") as source:
            head = source.read(_SNIFFED)
    except OSError:
        return False
    return not head.strip() or _SIGNATURE.search(head) is not None


def claim_folder(folder: Path, what: str) -> None:
    """The reports folder is netra-run's: new, empty, marked as its own, or holding only
    names it writes. Another folder (the project root, a folder of the user's) would have
    files replaced and deleted in it, so it is refused, naming a file that is in the way."""
    if folder.is_dir():
        strangers = sorted(p.name for p in folder.iterdir() if not _ours(p.name))
        if strangers and not (folder / MARKER).is_file():
            raise UsageError(
                f"{what}: {folder} holds files netra-run did not write ({_some(strangers)}); "
                "give a new or empty folder for the reports"
            )
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / MARKER
    if not marker.is_file():
        marker.write_text("reports written by netra-run; it replaces what is here\n", "utf-8")


def _ours(name: str) -> bool:
    return name in OWN_NAMES or name.startswith(".netra-probe-") or name.endswith(".partial")


def _some(names: list[str]) -> str:
    shown = ", ".join(names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


class FolderWatch:
    """Notices a folder deleted while the run goes (a test removing the reports folder):
    a handle on the folder itself outlives its name."""

    def __init__(self, folder: Path) -> None:
        self._fd = os.open(folder, os.O_RDONLY)

    def deleted(self) -> bool:
        return os.fstat(self._fd).st_nlink == 0

    def close(self) -> None:
        os.close(self._fd)
