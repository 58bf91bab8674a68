"""Which categories ran which files, as the last --cov runs saw it (coverage.py contexts):
kept in .netra/coverage-map.json, so --changed can select a category that reaches a changed
file no test imports (a subprocess, a plugin, a command suite), and --plan can say so.

Each --cov run replaces the entries of the categories it measured and keeps the others."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from netra_runner.cover.result import CoverageResult
from netra_runner.reporting.files import write_atomically

MAP = "coverage-map.json"


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
