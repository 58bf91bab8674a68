"""What a run needs to know once, resolved after the options are known and passed down:
where the project and its reports are, and what earlier runs left (the durations history,
the last run's failures)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from netra_runner.config import Project
from netra_runner.cover.settings import CoverageSettings, resolve
from netra_runner.execution.history import durations_file
from netra_runner.options import ReportPaths, RunOptions
from netra_runner.plugin.durations import Durations
from netra_runner.selection.last_failed import LastRun


@dataclass(frozen=True)
class RunContext:
    project: Project
    options: RunOptions
    reports: Path  # the reports folder
    paths: ReportPaths  # where the JUnit, JSON and HTML reports go
    history_file: Path  # .netra/durations.json
    durations: Durations  # that history, read once
    last: LastRun  # the failures remembered (.netra/last-failed.json), read before the run
    coverage: CoverageSettings | None = None  # None: --cov is off

    @classmethod
    def of(cls, project: Project, options: RunOptions) -> RunContext:
        paths = options.report_paths(project.root)
        history = durations_file(project.root)
        return cls(
            project=project,
            options=options,
            reports=options.reports_in(project.root),
            paths=paths,
            history_file=history,
            durations=Durations.load(history),
            last=LastRun.read(project.root, paths.json),
            coverage=_coverage(project, options),
        )


def _coverage(project: Project, options: RunOptions) -> CoverageSettings | None:
    if not options.measures_coverage:
        return None
    yaml_gate = project.config.coverage.fail_under
    return resolve(project.root, options.cwd, options.cov, options.cov_fail_under, yaml_gate)
