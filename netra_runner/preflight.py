"""Report paths are checked before anything runs: a path the user typed must never end a
run in exit 4 after its tests ran, lose their results, or replace a file that is not a
report. (The flags themselves are checked by RunOptions.check.)"""

from __future__ import annotations

import tempfile
from pathlib import Path

from netra_runner.context import RunContext
from netra_runner.errors import UsageError
from netra_runner.reporting.files import check_replaceable, claim_folder, is_special


def check_report_paths(context: RunContext) -> None:
    """Every report can be written, and only over what netra-run wrote: found now, not
    after the tests ran."""
    options, folder, paths = context.options, context.reports, context.paths
    what = "--reports-dir" if options.reports_dir else "the reports folder"
    _utf8(folder, what)
    _writable_folder(folder, what)
    claim_folder(folder, what)
    named: dict[Path, str] = {}
    for flag, given, path in (
        ("--junit", options.junit, paths.junit),
        ("--json", options.json, paths.json),
        ("--html", options.html, paths.html),
    ):
        if given is None:  # in the reports folder, netra-run's by claim_folder
            if path.is_dir():
                raise UsageError(f"{path}: is a folder; a report of that name goes there")
            continue
        _utf8(path, flag)
        if path in named and not is_special(path):
            raise UsageError(f"{flag} {given}: {named[path]} names the same file")
        named[path] = f"{flag} {given}"
        check_replaceable(path, f"{flag} {given}")
        if path.parent != folder and not is_special(path):
            _writable_folder(path.parent, f"{flag} {given}")


def _utf8(path: Path, what: str) -> None:
    """A path with bytes that are not UTF-8 cannot be handed to pytest-xdist's workers nor
    written into the reports that name it."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        shown = str(path).encode("utf-8", "backslashreplace").decode("utf-8")
        raise UsageError(
            f"{what} {shown}: the path holds bytes that are not UTF-8; name another"
        ) from None


def _writable_folder(folder: Path, what: str) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".netra-probe-"):
            pass
    except OSError as exc:
        raise UsageError(f"{what}: cannot write in {folder}: {exc.strerror or exc}") from None
