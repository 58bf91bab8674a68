"""Everything a run is asked to do, as one frozen record built by the CLI, and every check
of what the flags mean together (`check`): a combination that makes no sense says why,
before anything runs."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from netra_runner.config.choices import CHOICES, Choice
from netra_runner.config.model import RunDefaults
from netra_runner.errors import UsageError
from netra_runner.expressions import expression_problem
from netra_runner.limits import MAX_RETRIES, MAX_SECONDS, MAX_SHARDS, MAX_WORKERS

Format = Literal["text", "json"]


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
    collect_only: bool = False  # list the selected tests per category; run nothing
    format: Format = "text"  # how --collect-only prints
    keyword: str | None = None
    markers: str | None = None
    targets: tuple[str, ...] = ()  # paths and node ids (positional, or --file)
    pytest_args: tuple[str, ...] = ()  # after `--`: for every pytest suite
    no_deps: bool = False
    real_services: bool = False
    keep_services: bool = False
    services: Choice | None = None  # None: the profile's, else auto
    services_flag: bool = False  # --services was on the command line (not NETRA_SERVICES)
    workers: int | str | None = None  # None: each category's own setting; "auto" or N: the budget
    xdist: bool = False  # never slice: every category with workers runs under xdist
    fail_fast: bool = False
    maxfail: int | None = None  # stop the run after this many failures
    durations: int | None = None  # the slowest N in the summary; 0: all
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
    cov: tuple[str, ...] = ()  # --cov sources; "" is the default source
    cov_fail_under: float | None = None
    cwd: Path = field(default_factory=Path.cwd)

    @classmethod
    def from_flags(cls, flags: Mapping[str, Any], services_flag: bool = False) -> RunOptions:
        """The record from the CLI's parameters, by their names in cli/app.py; values that
        arrive as text (--workers, --budget) are parsed here."""
        renamed = {"category": "categories", "all_": "all", "list_": "list", "file": "targets"}
        renamed |= {"pytest_arg": "pytest_args", "output_format": "format", "json_path": "json"}
        skipped = {"verbose", "quiet", "version", "workers", "time_budget"}
        given = {renamed.get(k, k): v for k, v in flags.items() if k not in skipped}
        for key in ("categories", "targets", "pytest_args", "cov"):
            given[key] = tuple(given.get(key) or ())
        return cls(
            **given,
            services_flag=services_flag,
            workers=parse_workers(flags.get("workers")),
            budget=parse_seconds(flags.get("time_budget"), "--budget"),
            verbosity=verbosity(bool(flags.get("verbose")), bool(flags.get("quiet"))),
        )

    def reports_in(self, root: Path | None) -> Path:
        """An explicit --reports-dir is relative to where the user is, like any path flag."""
        if self.reports_dir is not None:
            return (self.cwd / self.reports_dir).resolve()
        return (root or self.cwd) / "reports"

    def under(self, run: RunDefaults, real_services: bool = False) -> RunOptions:
        """These options over a profile's `run:` settings and the config's `defaults`
        (`real_services`): what the command line says wins."""
        changes = self.changed or self.changed_since is not None
        return dataclasses.replace(
            self,
            plain=self.plain or run.plain,
            verbosity=-1 if run.quiet and self.verbosity == 0 else self.verbosity,
            fail_fast=self.fail_fast or (run.fail_fast and self.maxfail is None),
            failed_first=self.failed_first or run.failed_first,
            last_failed=self.last_failed or run.last_failed,
            changed=self.changed or (run.changed and not changes),
            changed_since=self.changed_since or (None if changes else run.changed_since),
            budget=self.budget if self.budget is not None else run.budget,
            allow_empty=self.allow_empty or run.allow_empty,
            services=self.services or run.services,
            real_services=self.real_services or run.real_services or real_services,
            cov=self.cov or (("",) if run.cov else ()),
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
        if self.targets:
            used.append("a test path")
        return "/".join(used) or None

    @property
    def stop_after(self) -> int | None:
        """Failures after which the run stops (-x: 1, --maxfail N), or None."""
        return 1 if self.fail_fast else self.maxfail

    @property
    def measures_coverage(self) -> bool:
        return bool(self.cov) or self.cov_fail_under is not None

    @property
    def prints_only(self) -> bool:
        """--list, --plan and --collect-only print and exit: no reports are written."""
        return self.list or self.plan or self.collect_only

    def check(self) -> None:
        """What the flags mean together and each value: UsageError naming the flag."""
        for problem in (*_conflicts(self), *_values(self), *_passthrough(self)):
            raise UsageError(problem)

    def check_services(self) -> None:
        """Flags that need services on: checked once the config's defaults and the
        profile's `run:` are applied, as they may turn services on."""
        rules = [
            (
                self.keep_services and not self.real_services,
                "--keep-services: it keeps what --real-services starts; add --real-services",
            ),
            (
                self.services_flag and not self.real_services,
                "--services: it chooses how --real-services starts services; add --real-services",
            ),
        ]
        for broken, problem in rules:
            if broken:
                raise UsageError(problem)


def _conflicts(options: RunOptions) -> list[str]:
    printing = [
        flag
        for flag, on in (
            ("--list", options.list),
            ("--plan", options.plan),
            ("--collect-only", options.collect_only),
        )
        if on
    ]
    rules = [
        (len(printing) > 1, f"{' and '.join(printing)} each print and exit; use one"),
        (
            options.changed and options.changed_since is not None,
            "--changed is the working tree against HEAD, --changed-since against REF; use one",
        ),
        (
            options.fail_fast and options.maxfail not in (None, 1),
            "-x is --maxfail 1; give one of them",
        ),
        (
            options.format != "text" and not options.collect_only,
            "--format json is the test list of --collect-only; add --collect-only",
        ),
        (
            options.all and bool(options.categories),
            "--all runs every category; drop it or drop --category",
        ),
        (
            options.measures_coverage and (options.list or options.collect_only),
            "--cov measures the tests a run runs; --list and --collect-only run none",
        ),
    ]
    return [message for broken, message in rules if broken]


# pytest options netra-run sets itself: passed after `--` they would undo it (a second
# --junitxml takes the report netra-run reads; -n fights its worker budget).
_NETRA_OWNS = {
    "--junitxml": "--junit",
    "--junit-xml": "--junit",
    "-n": "--workers",
    "--numprocesses": "--workers",
    "--maxprocesses": "--workers",
    "--dist": "--workers",
    "--collect-only": "--collect-only",
    "--co": "--collect-only",
    "-x": "-x",
    "--exitfirst": "-x",
    "--maxfail": "--maxfail",
    "--lf": "--lf",
    "--last-failed": "--lf",
    "--ff": "--ff",
    "--failed-first": "--ff",
    "--cov": "--cov",
    "--cov-fail-under": "--cov-fail-under",
}


# pytest options after which no test body runs: a run with them would count set-ups as passes.
_NO_TESTS_RUN = (
    "--setup-only",
    "--setup-plan",
    "--fixtures",
    "--funcargs",
    "--fixtures-per-test",
    "--markers",
    "--help",
    "-h",
    "--version",
    "-V",
)


def _passthrough(options: RunOptions) -> list[str]:
    problems = []
    for arg in options.pytest_args:
        name = arg.split("=", 1)[0]
        if name.startswith("-n") and name[2:].isdigit():
            name = "-n"
        if name in _NO_TESTS_RUN:
            problems.append(
                f"{arg} after --: pytest runs no test body with it, so nothing could pass; "
                "run pytest itself for it (netra-run --plan prints each category's command)"
            )
        elif name in _NETRA_OWNS:
            problems.append(
                f"{arg} after --: netra-run sets it for every suite; "
                f"use netra-run's {_NETRA_OWNS[name]}"
            )
    return problems


def _values(options: RunOptions) -> list[str]:
    problems = []
    if options.services is not None and options.services not in CHOICES:
        problems.append(f"--services expects one of {', '.join(CHOICES)}, got {options.services!r}")
    if options.format not in ("text", "json"):
        problems.append(f"--format expects text or json, got {options.format!r}")
    for flag, expression in (("-k", options.keyword), ("-m", options.markers)):
        problem = expression_problem(expression) if expression is not None else None
        if problem:
            problems.append(f"Wrong expression passed to '{flag}': {problem}")
    if options.shard is not None:
        try:
            parse_shard(options.shard)
        except ValueError as exc:
            problems.append(f"--shard: {exc}")
    for flag, seconds in (("--timeout", options.timeout), ("--budget", options.budget)):
        if seconds is not None and not (0 < seconds <= MAX_SECONDS and math.isfinite(seconds)):
            problems.append(
                f"{flag}: expected seconds above 0 and at most {MAX_SECONDS:g} (a week), "
                f"got {seconds:g}"
            )
    problem = percent_problem("--cov-fail-under", options.cov_fail_under)
    if problem:
        problems.append(problem)
    for flag, number, low, high in (
        ("--retries", options.retries, 0, MAX_RETRIES),
        ("--maxfail", options.maxfail, 1, None),
        ("--durations", options.durations, 0, None),
    ):
        if number is not None and (number < low or (high is not None and number > high)):
            bound = f"{low} to {high}" if high is not None else f"at least {low}"
            problems.append(f"{flag}: expected {bound}, got {_short(number)}")
    if isinstance(options.workers, int) and not 1 <= options.workers <= MAX_WORKERS:
        problems.append(
            f"--workers: expected 0 to {MAX_WORKERS} or auto, got {_short(options.workers)}"
        )
    return problems


def percent_problem(flag: str, value: float | None) -> str | None:
    """A gate's percentage: 0 to 100 (the run's --cov-fail-under, and report merge's)."""
    if value is None or (0 <= value <= 100 and math.isfinite(value)):
        return None
    return f"{flag}: expected a percentage from 0 to 100, got {value:g}"


def verbosity(verbose: bool, quiet: bool) -> int:
    if verbose and quiet:
        raise UsageError("-v asks for more output and -q for less; use one")
    return 1 if verbose else -1 if quiet else 0


def parse_seconds(value: str | None, flag: str) -> float | None:
    """90, 90s, 2m, 1.5min: seconds."""
    if value is None:
        return None
    match = re.fullmatch(r"([0-9]{1,12}(?:\.[0-9]{1,12})?)\s*(s|m|min)?", value.strip())
    if not match or float(match[1]) <= 0:
        raise UsageError(f"{flag}: expected a time like 90s, 2m or 90 (seconds), got {value!r}")
    return float(match[1]) * (60 if match[2] in ("m", "min") else 1)


def parse_workers(value: str | None) -> int | str | None:
    """N or auto; 0 is pytest's `-n 0` (no xdist workers), the same as 1 here."""
    if value is None or value == "auto":
        return value
    if re.fullmatch("[0-9]{1,9}", value):  # not '²': isdigit() says yes
        return max(int(value), 1)
    shown = repr(value) if len(value) <= 40 else repr(value[:40] + "...")
    raise UsageError(f"--workers: expected a whole number or 'auto', got {shown}")


def _short(number: int) -> str:
    text = str(number)
    return text if len(text) <= 20 else f"a {len(text)}-digit number"


def parse_shard(value: str) -> tuple[int, int]:
    """'2/4' -> (2, 4); K counts from 1, as CI matrices do."""
    match = re.fullmatch(r"\s*([0-9]{1,40})\s*/\s*([0-9]{1,40})\s*", value)
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        shown = repr(value) if len(value) <= 40 else repr(value[:40] + "...")
        raise ValueError(f"expected K/N with 1 <= K <= N (like 2/4), got {shown}")
    k, n = int(match[1]), int(match[2])
    if n > MAX_SHARDS:
        raise ValueError(f"at most {MAX_SHARDS} shards, got {n}")
    return k, n
