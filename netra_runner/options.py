"""Everything a run is asked to do, as one frozen record built by the CLI."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from netra_runner.config.model import RunDefaults


@dataclass(frozen=True)
class ReportPaths:
    junit: Path
    json: Path
    html: Path


@dataclass(frozen=True)
class RunOptions:
    categories: tuple[str, ...] = ()
    all: bool = False
    list: bool = False
    plan: bool = False
    keyword: str | None = None
    markers: str | None = None
    files: tuple[Path, ...] = ()
    no_deps: bool = False
    real_services: bool = False
    keep_services: bool = False
    services: Literal["docker", "local", "auto"] | None = None  # None: the profile's, else auto
    workers: int | str | None = None  # None: each category's own setting; "auto" or N: the budget
    fail_fast: bool = False
    timeout: float | None = None  # per test, over the config's
    retries: int | None = None  # over the config's
    reports_dir: Path | None = None  # None: reports/ at the project root
    config: Path | None = None
    profile: str | None = None
    junit: Path | None = None  # None: junit.xml in the reports folder; same for json, html
    json: Path | None = None
    html: Path | None = None
    plain: bool = False  # no live view, no colour
    shard: str | None = None  # "K/N"
    last_failed: bool = False
    changed: bool = False  # the working tree against HEAD
    changed_since: str | None = None  # a git ref
    budget: float | None = None  # seconds: run the most valuable tests that fit
    allow_empty: bool = False  # nothing to run is exit 0, not 5
    failed_first: bool = False
    verbosity: int = 0  # -1 quiet, 1 a line per test
    cwd: Path = field(default_factory=Path.cwd)

    def reports_in(self, root: Path | None) -> Path:
        """An explicit --reports-dir is relative to where the user is, like any path flag."""
        if self.reports_dir is not None:
            return (self.cwd / self.reports_dir).resolve()
        return (root or self.cwd) / "reports"

    def under(self, run: RunDefaults) -> RunOptions:
        """These options over a profile's `run:` settings: what the command line says wins."""
        changes = self.changed or self.changed_since is not None
        return dataclasses.replace(
            self,
            plain=self.plain or run.plain,
            verbosity=-1 if run.quiet and self.verbosity == 0 else self.verbosity,
            fail_fast=self.fail_fast or run.fail_fast,
            failed_first=self.failed_first or run.failed_first,
            last_failed=self.last_failed or run.last_failed,
            changed=self.changed or (run.changed and not changes),
            changed_since=self.changed_since or (None if changes else run.changed_since),
            budget=self.budget if self.budget is not None else run.budget,
            allow_empty=self.allow_empty or run.allow_empty,
            services=self.services or run.services,
        )

    def report_paths(self, root: Path | None) -> ReportPaths:
        folder = self.reports_in(root)

        def chosen(path: Path | None, default: str) -> Path:
            return (self.cwd / path).resolve() if path is not None else folder / default

        return ReportPaths(
            chosen(self.junit, "junit.xml"),
            chosen(self.json, "report.json"),
            chosen(self.html, "report.html"),
        )

    @property
    def narrowing(self) -> str | None:
        """The flags that narrow a suite to some of its tests, as the user wrote them."""
        used = [flag for flag, value in (("-k", self.keyword), ("-m", self.markers)) if value]
        if self.files:
            used.append("--file")
        return "/".join(used) or None
