"""Everything a run is asked to do, as one frozen record built by the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


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
    cwd: Path = field(default_factory=Path.cwd)

    def reports_in(self, root: Path | None) -> Path:
        """An explicit --reports-dir is relative to where the user is, like any path flag."""
        if self.reports_dir is not None:
            return (self.cwd / self.reports_dir).resolve()
        return (root or self.cwd) / "reports"

    @property
    def narrowing(self) -> str | None:
        """The flags that narrow a suite to some of its tests, as the user wrote them."""
        used = [flag for flag, value in (("-k", self.keyword), ("-m", self.markers)) if value]
        if self.files:
            used.append("--file")
        return "/".join(used) or None
