"""Turn the selection into jobs: the exact command, folder, environment and report paths."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from netra_runner.config import Project
from netra_runner.options import RunOptions
from netra_runner.selection import Selected

# Variables a pytest parent sets for itself; a child suite inheriting them gets confused.
_PARENT_ONLY = ("PYTEST_CURRENT_TEST", "PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT")


@dataclass(frozen=True)
class Job:
    name: str
    argv: tuple[str, ...]
    cwd: Path
    env: dict[str, str]
    report_dir: Path  # reports/categories/<name>/: the suite's own junit and its output log
    junit_source: Path | None  # where the suite writes its JUnit; None: judge by exit code
    why: str
    gates: tuple[str, ...]
    services: tuple[str, ...]
    skip: str | None

    @property
    def output_log(self) -> Path:
        return self.report_dir / "output.log"

    @property
    def is_pytest(self) -> bool:
        return self.junit_source == self.report_dir / "junit.xml"


def make_jobs(project: Project, entries: tuple[Selected, ...], options: RunOptions) -> list[Job]:
    reports = options.reports_in(project.root)
    return [_job(project, entry, options, reports / "categories" / entry.name) for entry in entries]


def _job(project: Project, entry: Selected, options: RunOptions, report_dir: Path) -> Job:
    category = entry.category
    junit: Path | None
    if category.command is None:
        argv = _pytest_argv(entry, options, report_dir / "junit.xml")
        cwd, junit = project.root, report_dir / "junit.xml"
    else:
        argv = category.command
        cwd = project.root / (category.cwd or ".")
        junit = project.root / category.junit if category.junit else None
    return Job(
        name=entry.name,
        argv=argv,
        cwd=cwd,
        env=_environment(project, entry),
        report_dir=report_dir,
        junit_source=junit,
        why=entry.why,
        gates=entry.gates,
        services=category.services,
        skip=entry.skip,
    )


def _pytest_argv(entry: Selected, options: RunOptions, junit: Path) -> tuple[str, ...]:
    argv = [sys.executable, "-m", "pytest", *entry.targets, f"--junitxml={junit}"]
    # xunit1 keeps file and line per test; output is kept for failing tests only.
    argv += ["-o", "junit_family=xunit1", "-o", "junit_logging=all"]
    argv += ["-o", "junit_log_passing_tests=false", "-o", f"junit_suite_name={entry.name}"]
    # One broken file must not hide every other test of the category.
    argv += ["--continue-on-collection-errors", "--tb=short", "-q"]
    markers = _and(entry.category.markers, options.markers)
    if markers:
        argv += ["-m", markers]
    if options.keyword:
        argv += ["-k", options.keyword]
    return tuple(argv)


def _and(*expressions: str | None) -> str | None:
    present = [e for e in expressions if e]
    if len(present) <= 1:
        return present[0] if present else None
    return " and ".join(f"({e})" for e in present)


def _environment(project: Project, entry: Selected) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _PARENT_ONLY}
    # The project root on the path, so tests import the project however pytest roots itself.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(project.root), env.get("PYTHONPATH")) if p)
    env["NETRA_CATEGORY"] = entry.name
    env.update(entry.category.env)
    return env
