"""`report merge` and coverage: each shard's combined data (the `.coverage` beside its
report.json) combined again, and the gate applied to that total, as one run would."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from netra_runner.cover.combine import COMBINED, Input, combine
from netra_runner.cover.result import CoverageResult
from netra_runner.cover.settings import config_file

HIDDEN = (
    f"its report.json measured coverage, but no {COMBINED} is beside it (upload the reports "
    "folder with its hidden files: actions/upload-artifact needs include-hidden-files: true)"
)


def merge_coverage(
    reports: Sequence[tuple[Path, dict[str, Any]]],
    output: Path,
    root: Path,
    fail_under: float | None,
) -> CoverageResult | None:
    """None: no shard measured coverage. `root`: where the source files are read (the
    checkout the merge runs in)."""
    measured = [(path, report) for path, report in reports if report.get("coverage")]
    if not measured:
        return None
    inputs: list[Input] = []
    missing: list[tuple[str, str]] = []
    for path, report in reports:
        name = _name(path, report)
        data = path.parent / COMBINED
        if not report.get("coverage"):
            missing.append((name, "it ran without --cov: its tests are not in the total"))
        elif not data.is_file():
            missing.append((name, HIDDEN))
        else:
            inputs.append((name, data, None))
    combined = combine(inputs, output, config_file(root), root)
    gates = [r["coverage"].get("fail_under") for _, r in measured]
    chosen = fail_under if fail_under is not None else max(filter(None, gates), default=None)
    origin = "--cov-fail-under" if fail_under is not None else _origin(measured, chosen)
    shards_said = tuple(
        (f"{_name(p, r)}: {category}", why)
        for p, r in measured
        for category, why in CoverageResult.from_data(r["coverage"]).not_measured
    )
    partial = f"{', '.join(name for name, _ in missing)} not in it" if missing else ""
    return dataclasses.replace(
        combined,
        error=combined.error or partial,
        not_measured=tuple(sorted({*missing, *shards_said, *combined.not_measured})),
        fail_under=chosen,
        fail_under_from=origin,
    )


def _name(path: Path, report: dict[str, Any]) -> str:
    shard = report.get("shard")
    return f"shard {shard['index']}/{shard['count']}" if shard else str(path)


def _origin(measured: list[tuple[Path, dict[str, Any]]], chosen: float | None) -> str:
    for _, report in measured:
        if report["coverage"].get("fail_under") == chosen:
            return str(report["coverage"].get("fail_under_from", ""))
    return ""
