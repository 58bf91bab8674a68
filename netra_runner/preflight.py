"""Report paths are checked before anything runs: a path the user typed must never end a
run in exit 4 after its tests ran, or lose their results. (The flags themselves are
checked by RunOptions.check.)"""

from __future__ import annotations

import tempfile
from pathlib import Path

from netra_runner.context import RunContext
from netra_runner.errors import UsageError


def check_report_paths(context: RunContext) -> None:
    """Every report can be written: found now, not after the tests ran."""
    options, folder, paths = context.options, context.reports, context.paths
    _writable_folder(folder, "--reports-dir" if options.reports_dir else "the reports folder")
    for flag, given, path in (
        ("--junit", options.junit, paths.junit),
        ("--json", options.json, paths.json),
        ("--html", options.html, paths.html),
    ):
        if path.is_dir():
            raise UsageError(f"{flag} {given or path}: is a folder; give the report's file name")
        if path.parent != folder:
            _writable_folder(path.parent, f"{flag} {given}")


def _writable_folder(folder: Path, what: str) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".netra-probe-"):
            pass
    except OSError as exc:
        raise UsageError(f"{what}: cannot write in {folder}: {exc.strerror or exc}") from None
