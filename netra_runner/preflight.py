"""What is checked before anything runs: flag values, pytest expressions, report paths.

A value the user typed must never end a run in exit 4 after its tests ran, or lose their
results: each is judged here first, with a message that names the flag.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

from netra_runner.errors import UsageError
from netra_runner.expressions import expression_problem
from netra_runner.limits import MAX_RETRIES, MAX_SECONDS, MAX_WORKERS
from netra_runner.options import RunOptions
from netra_runner.selection.partition import parse


def check_values(options: RunOptions) -> None:
    for flag, expression in (("-k", options.keyword), ("-m", options.markers)):
        problem = expression_problem(expression) if expression is not None else None
        if problem:
            raise UsageError(f"Wrong expression passed to '{flag}': {problem}")
    if options.shard is not None:
        try:
            parse(options.shard)
        except ValueError as exc:
            raise UsageError(f"--shard: {exc}") from None
    for flag, seconds in (("--timeout", options.timeout), ("--budget", options.budget)):
        if seconds is not None and not (0 < seconds <= MAX_SECONDS and math.isfinite(seconds)):
            raise UsageError(
                f"{flag}: expected seconds above 0 and at most {MAX_SECONDS:g} (a week), "
                f"got {seconds:g}"
            )
    if options.retries is not None and not 0 <= options.retries <= MAX_RETRIES:
        raise UsageError(f"--retries: expected 0 to {MAX_RETRIES}, got {_short(options.retries)}")
    if isinstance(options.workers, int) and not 1 <= options.workers <= MAX_WORKERS:
        raise UsageError(
            f"--workers: expected 1 to {MAX_WORKERS} or auto, got {_short(options.workers)}"
        )


def check_report_paths(options: RunOptions, root: Path) -> None:
    """Every report can be written: found now, not after the tests ran."""
    folder = options.reports_in(root)
    _writable_folder(folder, "--reports-dir" if options.reports_dir else "the reports folder")
    paths = options.report_paths(root)
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


def _short(number: int) -> str:
    text = str(number)
    return text if len(text) <= 20 else f"a {len(text)}-digit number"
