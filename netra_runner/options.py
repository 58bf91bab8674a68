"""Everything a run is asked to do, as one frozen record built by the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


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
    failed_first: bool = False
    verbosity: int = 0  # -1 quiet, 1 a line per test
    cwd: Path = field(default_factory=Path.cwd)

    def reports_in(self, root: Path | None) -> Path:
        """An explicit --reports-dir is relative to where the user is, like any path flag."""
        if self.reports_dir is not None:
            return (self.cwd / self.reports_dir).resolve()
        return (root or self.cwd) / "reports"

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
