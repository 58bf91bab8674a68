"""The main command's flags, declared once (as nox keeps its options apart from its CLI).

Where pytest has a spelling for the same meaning, it is accepted too: --lf, --ff,
--maxfail, --junitxml, -n 0, --co/--collect-only, --durations. Test paths and node ids are
positional (command_line.py hands them over as --file), and what follows `--` goes to every
pytest suite.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from netra_runner.cli import completion
from netra_runner.config.choices import HELP as SERVICES_HELP

SELECT = "Selection"
SERVICES = "Services"
EXECUTION = "Execution"
REPORT = "Reports"

Categories = Annotated[
    list[str],
    typer.Option(
        "--category",
        "-c",
        metavar="NAME",
        help="Category to run; repeatable, or comma-separated.",
        rich_help_panel=SELECT,
        autocompletion=completion.categories,
    ),
]
All = Annotated[bool, typer.Option("--all", help="Run every category.", rich_help_panel=SELECT)]
List = Annotated[
    bool, typer.Option("--list", help="List the categories and exit.", rich_help_panel=SELECT)
]
Plan = Annotated[
    bool,
    typer.Option(
        "--plan", help="Print what would run and why; run nothing.", rich_help_panel=SELECT
    ),
]
CollectOnly = Annotated[
    bool,
    typer.Option(
        "--collect-only",
        "--co",
        help="List every selected test id per category, with its services; run nothing.",
        rich_help_panel=SELECT,
    ),
]
OutputFormat = Annotated[
    str,
    typer.Option(
        "--format",
        metavar="[text|json]",
        help="How --collect-only prints: text or json.",
        rich_help_panel=SELECT,
    ),
]
Keyword = Annotated[
    str | None,
    typer.Option(
        "-k",
        metavar="EXPR",
        help="Only tests matching this pytest -k expression.",
        rich_help_panel=SELECT,
    ),
]
Markers = Annotated[
    str | None,
    typer.Option(
        "-m",
        metavar="EXPR",
        help="Only tests matching this pytest -m expression.",
        rich_help_panel=SELECT,
    ),
]
Files = Annotated[
    list[str],
    typer.Option(
        "--file",
        metavar="PATH",
        help="Only this test path or node id (also positional); repeatable.",
        rich_help_panel=SELECT,
    ),
]
# command_line.py hands what follows `--` over in this hidden flag, one argument each.
PytestArgs = Annotated[list[str], typer.Option("--pytest-arg", hidden=True)]
Shard = Annotated[
    str | None,
    typer.Option(
        "--shard",
        metavar="K/N",
        help="Run shard K of N (like 2/4), balanced by the durations history.",
        rich_help_panel=SELECT,
    ),
]
Changed = Annotated[
    bool,
    typer.Option(
        "--changed",
        help="Only tests the working tree's changes touch (against HEAD).",
        rich_help_panel=SELECT,
    ),
]
ChangedSince = Annotated[
    str | None,
    typer.Option(
        "--changed-since",
        metavar="REF",
        help="Only tests touched by changes since REF (a branch, tag or commit).",
        rich_help_panel=SELECT,
    ),
]
LastFailed = Annotated[
    bool,
    typer.Option(
        "--last-failed",
        "--lf",
        help="Only what failed in the last run (all, if nothing did).",
        rich_help_panel=SELECT,
    ),
]
FailedFirst = Annotated[
    bool,
    typer.Option(
        "--failed-first",
        "--ff",
        help="Run the last run's failures first, then the rest.",
        rich_help_panel=SELECT,
    ),
]
Budget = Annotated[
    str | None,
    typer.Option(
        "--budget",
        metavar="TIME",
        help="Run the most valuable tests that fit in TIME (90s, 2m): failures, then fastest.",
        rich_help_panel=SELECT,
    ),
]
AllowEmpty = Annotated[
    bool,
    typer.Option(
        "--allow-empty",
        help="Exit 0, not 5, when nothing is selected or collected, or every test skipped.",
        rich_help_panel=SELECT,
    ),
]
NoDeps = Annotated[
    bool,
    typer.Option(
        "--no-deps", help="Do not add or wait for depends_on categories.", rich_help_panel=SELECT
    ),
]
RealServices = Annotated[
    bool,
    typer.Option(
        "--real-services",
        help="Start the services categories need (else they are skipped).",
        rich_help_panel=SERVICES,
    ),
]
KeepServices = Annotated[
    bool,
    typer.Option(
        "--keep-services",
        help="Leave services running for later runs to reuse.",
        rich_help_panel=SERVICES,
    ),
]
Services = Annotated[
    str | None,
    typer.Option(
        "--services",
        envvar="NETRA_SERVICES",
        help=SERVICES_HELP,
        rich_help_panel=SERVICES,
        metavar="[auto|docker|local]",
    ),
]
Xdist = Annotated[
    bool,
    typer.Option(
        "--xdist",
        help="Run pytest suites under pytest-xdist instead of netra-run's own workers: for "
        "a suite that needs xdist itself (its hooks, or fixtures that read xdist's state).",
        rich_help_panel=EXECUTION,
    ),
]
Workers = Annotated[
    str | None,
    typer.Option(
        "--workers",
        "-n",
        metavar="N|auto",
        help="Worker processes for the whole run: N or auto (default: auto); 0 is 1.",
        rich_help_panel=EXECUTION,
    ),
]
FailFast = Annotated[
    bool,
    typer.Option(
        "--fail-fast", "-x", help="Stop everything at the first failure.", rich_help_panel=EXECUTION
    ),
]
MaxFail = Annotated[
    int | None,
    typer.Option(
        "--maxfail",
        metavar="N",
        help="Stop everything after N failures.",
        rich_help_panel=EXECUTION,
    ),
]
Timeout = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        metavar="SECONDS",
        help="Seconds per test (over the config).",
        rich_help_panel=EXECUTION,
    ),
]
Retries = Annotated[
    int | None,
    typer.Option(
        "--retries",
        metavar="N",
        help="Reruns of a failing test (over the config).",
        rich_help_panel=EXECUTION,
    ),
]
ReportsDir = Annotated[
    Path | None,
    typer.Option(
        "--reports-dir",
        metavar="DIR",
        help="Where reports go (default: reports/ at the project root).",
        rich_help_panel=REPORT,
    ),
]
Junit = Annotated[
    Path | None,
    typer.Option(
        "--junit",
        "--junitxml",
        metavar="PATH",
        help="Write the JUnit report here.",
        rich_help_panel=REPORT,
    ),
]
Json = Annotated[
    Path | None,
    typer.Option(
        "--json", metavar="PATH", help="Write the JSON report here.", rich_help_panel=REPORT
    ),
]
Html = Annotated[
    Path | None,
    typer.Option(
        "--html", metavar="PATH", help="Write the HTML report here.", rich_help_panel=REPORT
    ),
]
Durations = Annotated[
    int | None,
    typer.Option(
        "--durations",
        metavar="N",
        help="Show the N slowest tests in the summary (0: all).",
        rich_help_panel=REPORT,
    ),
]
# command_line.py gives --cov alone (no SOURCE) as --cov=, the default source.
Cov = Annotated[
    list[str],
    typer.Option(
        "--cov",
        metavar="[SOURCE]",
        help=(
            "Measure coverage of SOURCE (a path or package; repeatable) in every pytest "
            "suite; alone: the coverage.py config's source, else the project root."
        ),
        rich_help_panel=REPORT,
    ),
]
CovFailUnder = Annotated[
    float | None,
    typer.Option(
        "--cov-fail-under",
        metavar="PERCENT",
        help="Fail the run (exit 1) when the combined coverage is under PERCENT; implies --cov.",
        rich_help_panel=REPORT,
    ),
]
Plain = Annotated[
    bool,
    typer.Option(
        "--plain", help="Progress as lines, no live view, no colour.", rich_help_panel=REPORT
    ),
]
Verbose = Annotated[
    bool, typer.Option("--verbose", "-v", help="A line for every test.", rich_help_panel=REPORT)
]
Quiet = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        help="Only failures, the summary and the closing line.",
        rich_help_panel=REPORT,
    ),
]
Config = Annotated[
    Path | None,
    typer.Option(
        "--config", metavar="PATH", help="categories.yaml to use (default: found from here upward)."
    ),
]
Profile = Annotated[
    str | None,
    typer.Option(
        "--profile",
        metavar="NAME",
        envvar="NETRA_PROFILE",
        help="Profile from categories.yaml to apply.",
        autocompletion=completion.profiles,
    ),
]
