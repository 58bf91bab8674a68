"""Which categories, and which tests, ran which files, as the last --cov runs saw it
(coverage.py contexts): kept in .netra/coverage-map.json (by category) and
.netra/test-map.json (by test), so --changed can select the tests that reach a changed file
no test imports (a subprocess, a plugin, code loaded by name), and --plan can say so.

Each --cov run replaces the entries of the categories and tests it measured and keeps the
others: the maps stay up to date as runs go."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from pathlib import Path

from netra_runner.cover.result import CoverageResult
from netra_runner.reporting.files import write_atomically

MAP = "coverage-map.json"
TEST_MAP = "test-map.json"
VERSION = 1


def map_file(root: Path) -> Path:
    return root / ".netra" / MAP


def record(root: Path, result: CoverageResult, measured: set[str]) -> None:
    """`measured`: the categories whose data this result holds (only theirs are replaced)."""
    if result.total is None:
        return
    ran: dict[str, set[str]] = {name: set() for name in measured}
    for f in result.files:
        for category in f.categories:
            ran.setdefault(category, set()).add(f.path)
    kept = {name: files for name, files in load(root).items() if name not in ran}
    merged = kept | {name: sorted(files) for name, files in ran.items()}
    with contextlib.suppress(OSError):  # a read-only checkout: --changed goes by imports
        write_atomically(map_file(root), json.dumps(dict(sorted(merged.items())), indent=1) + "\n")
    _record_tests(root, result.tests_by_file)


def _record_tests(root: Path, measured: Mapping[str, tuple[str, ...]]) -> None:
    """The tests this run measured replace their own entries; the others are kept."""
    if not measured:
        return
    ran = {test for tests in measured.values() for test in tests}
    files = {path: set(tests) - ran for path, tests in load_tests(root).items()}
    for path, tests in measured.items():
        files.setdefault(path, set()).update(tests)
    kept = {path: sorted(tests) for path, tests in sorted(files.items()) if tests}
    with contextlib.suppress(OSError):
        text = json.dumps({"version": VERSION, "files": kept}, indent=1)
        write_atomically(root / ".netra" / TEST_MAP, text + "\n")


def load_tests(root: Path) -> dict[str, list[str]]:
    """Source file -> the tests the --cov runs saw run it; {} when there is no map."""
    try:
        data = json.loads((root / ".netra" / TEST_MAP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    known = isinstance(data, dict) and data.get("version") == VERSION
    files = data.get("files") if known else None
    if not isinstance(files, dict):
        return {}
    return {str(p): [str(t) for t in ids] for p, ids in files.items() if isinstance(ids, list)}


def load(root: Path) -> dict[str, list[str]]:
    """Category -> the files (relative to the root) it ran; {} when there is no map."""
    try:
        data = json.loads(map_file(root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        str(name): [str(f) for f in files]
        for name, files in data.items()
        if isinstance(files, list)
    }


def running(covered: dict[str, list[str]], files: list[str]) -> dict[str, str]:
    """Category -> the first of `files` it ran."""
    chosen: dict[str, str] = {}
    for name, ran in covered.items():
        known = set(ran)
        hit = next((f for f in files if f in known), None)
        if hit is not None:
            chosen[name] = hit
    return chosen
