"""The end of a --cov run: which categories left coverage data, which did not and why, the
data combined once, and the gate applied."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path

from netra_runner.cover.combine import COMMAND_DATA, Input, combine
from netra_runner.cover.result import CoverageResult
from netra_runner.cover.settings import CoverageSettings
from netra_runner.plan import Job
from netra_runner.plugin.coverage import DATA_PREFIX, NOT_MEASURED
from netra_runner.results import CategoryResult, Status

NO_DATA = "its processes wrote no coverage data (stopped before they exited?)"
COMMAND = "a command suite: `coverage: FILE` in its category names its coverage.py data"


def measure(
    settings: CoverageSettings,
    jobs: Sequence[Job],
    results: Mapping[str, CategoryResult],
    reports: Path,
    started: float,
    shard: str | None = None,
) -> CoverageResult:
    """`started`: the run's start (epoch seconds): a command suite's data file older than
    that is an earlier run's. `shard`: K/N when the run is one shard (its gate waits for
    `report merge`)."""
    inputs: list[Input] = []
    missing: list[tuple[str, str]] = []
    for job in jobs:
        result = results.get(job.name)
        if result is None or result.status is Status.SKIPPED:
            continue  # never started: the summary says why
        found, why = _data_of(job, settings.root, started)
        inputs += found
        if why:
            missing.append((job.name, why))
    combined = combine(inputs, reports, settings.config, settings.root)
    return dataclasses.replace(gated(combined, settings, tuple(missing)), shard=shard or "")


def gated(
    result: CoverageResult, settings: CoverageSettings, missing: tuple[tuple[str, str], ...]
) -> CoverageResult:
    """The result with the run's threshold, and every category that was not measured."""
    return dataclasses.replace(
        result,
        not_measured=tuple(sorted({*missing, *result.not_measured})),
        fail_under=settings.fail_under,
        fail_under_from=settings.fail_under_from,
    )


def _data_of(job: Job, root: Path, started: float) -> tuple[list[Input], str]:
    """A category's data files, or why it has none."""
    if job.is_pytest:
        files = sorted(job.coverage_folder.glob(f"{DATA_PREFIX}.*"))
        if files:
            return [(job.name, path, None) for path in files], ""
        note = job.coverage_folder / NOT_MEASURED
        return [], note.read_text(encoding="utf-8").strip() if note.is_file() else NO_DATA
    if job.coverage_file is None:
        return [], COMMAND
    file = job.coverage_file
    shown = file.relative_to(root) if file.is_relative_to(root) else file
    # Never deleted before the run (unlike its JUnit): the path may name a file of the user's.
    if not file.is_file() or file.stat().st_mtime < started:
        return [], f"its coverage file {shown} was not written by this run"
    return [(job.name, file, job.coverage_folder / COMMAND_DATA)], ""
