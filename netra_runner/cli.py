"""The typer app: flags become a RunOptions record; the workflow does the rest."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from netra_runner import __version__, completion
from netra_runner.config import Project, find_config, load_project
from netra_runner.errors import UsageError
from netra_runner.options import RunOptions
from netra_runner.workflow import execute, guard

if TYPE_CHECKING:
    from netra_runner.services.backend import Choice

app = typer.Typer(
    name="netra-run",
    help="Run a monorepo's test categories, with the services they need, in parallel.",
    no_args_is_help=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

SELECT = "Selection"
SERVICES = "Services"
EXECUTION = "Execution"
REPORT = "Reports"


class ServicesBackend(str, Enum):
    auto = "auto"
    docker = "docker"
    local = "local"


ServicesOption = Annotated[
    ServicesBackend | None,
    typer.Option(
        "--services",
        envvar="NETRA_SERVICES",
        help="How services run: docker, local processes, or auto (Docker when an engine "
        "answers, else local).",
        rich_help_panel=SERVICES,
    ),
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"netra-run {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def run(
    ctx: typer.Context,
    category: Annotated[
        list[str],
        typer.Option(
            "--category",
            "-c",
            help="Category to run; repeatable, or comma-separated.",
            rich_help_panel=SELECT,
            autocompletion=completion.categories,
        ),
    ] = [],  # noqa: B006
    all_: Annotated[
        bool, typer.Option("--all", help="Run every category.", rich_help_panel=SELECT)
    ] = False,
    list_: Annotated[
        bool, typer.Option("--list", help="List the categories and exit.", rich_help_panel=SELECT)
    ] = False,
    plan: Annotated[
        bool,
        typer.Option(
            "--plan", help="Print what would run and why; run nothing.", rich_help_panel=SELECT
        ),
    ] = False,
    keyword: Annotated[
        str | None,
        typer.Option(
            "-k", help="Only tests matching this pytest -k expression.", rich_help_panel=SELECT
        ),
    ] = None,
    markers: Annotated[
        str | None,
        typer.Option(
            "-m", help="Only tests matching this pytest -m expression.", rich_help_panel=SELECT
        ),
    ] = None,
    file: Annotated[
        list[Path],
        typer.Option(
            "--file", help="Only this test file or folder; repeatable.", rich_help_panel=SELECT
        ),
    ] = [],  # noqa: B006
    shard: Annotated[
        str | None,
        typer.Option(
            "--shard",
            help="Run shard K of N (like 2/4), balanced by the durations history.",
            rich_help_panel=SELECT,
        ),
    ] = None,
    changed: Annotated[
        bool,
        typer.Option(
            "--changed",
            help="Only tests the working tree's changes touch (against HEAD).",
            rich_help_panel=SELECT,
        ),
    ] = False,
    changed_since: Annotated[
        str | None,
        typer.Option(
            "--changed-since",
            metavar="REF",
            help="Only tests touched by changes since REF (a branch, tag or commit).",
            rich_help_panel=SELECT,
        ),
    ] = None,
    last_failed: Annotated[
        bool,
        typer.Option(
            "--last-failed",
            help="Only what failed in the last run (all, if nothing did).",
            rich_help_panel=SELECT,
        ),
    ] = False,
    failed_first: Annotated[
        bool,
        typer.Option(
            "--failed-first",
            help="Run the last run's failures first, then the rest.",
            rich_help_panel=SELECT,
        ),
    ] = False,
    time_budget: Annotated[
        str | None,
        typer.Option(
            "--budget",
            metavar="TIME",
            help="Run the most valuable tests that fit in TIME (90s, 2m): failures, then fastest.",
            rich_help_panel=SELECT,
        ),
    ] = None,
    allow_empty: Annotated[
        bool,
        typer.Option(
            "--allow-empty",
            help="Exit 0, not 5, when nothing is selected or collected.",
            rich_help_panel=SELECT,
        ),
    ] = False,
    no_deps: Annotated[
        bool,
        typer.Option(
            "--no-deps",
            help="Do not add or wait for depends_on categories.",
            rich_help_panel=SELECT,
        ),
    ] = False,
    real_services: Annotated[
        bool,
        typer.Option(
            "--real-services", help="Start the services categories need (else they are skipped)."
        ),
    ] = False,
    keep_services: Annotated[
        bool,
        typer.Option(
            "--keep-services",
            help="Leave services running for later runs to reuse.",
            rich_help_panel=SERVICES,
        ),
    ] = False,
    services: ServicesOption = None,
    workers: Annotated[
        str | None,
        typer.Option(
            "--workers",
            "-n",
            help="Worker processes for the whole run: N or auto (default: auto).",
            rich_help_panel=EXECUTION,
        ),
    ] = None,
    fail_fast: Annotated[
        bool,
        typer.Option(
            "--fail-fast",
            "-x",
            help="Stop everything at the first failure.",
            rich_help_panel=EXECUTION,
        ),
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            min=0.001,
            help="Seconds per test (over the config).",
            rich_help_panel=EXECUTION,
        ),
    ] = None,
    retries: Annotated[
        int | None,
        typer.Option(
            "--retries",
            min=0,
            help="Reruns of a failing test (over the config).",
            rich_help_panel=EXECUTION,
        ),
    ] = None,
    reports_dir: Annotated[
        Path | None,
        typer.Option(
            "--reports-dir",
            help="Where reports go (default: reports/ at the project root).",
            rich_help_panel=REPORT,
        ),
    ] = None,
    junit: Annotated[
        Path | None,
        typer.Option("--junit", help="Write the JUnit report here.", rich_help_panel=REPORT),
    ] = None,
    json_path: Annotated[
        Path | None,
        typer.Option("--json", help="Write the JSON report here.", rich_help_panel=REPORT),
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option("--html", help="Write the HTML report here.", rich_help_panel=REPORT),
    ] = None,
    plain: Annotated[
        bool,
        typer.Option(
            "--plain", help="Progress as lines, no live view, no colour.", rich_help_panel=REPORT
        ),
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="A line for every test.", rich_help_panel=REPORT),
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="Only failures, the summary and the closing line.",
            rich_help_panel=REPORT,
        ),
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="categories.yaml to use (default: found from here upward)."),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            envvar="NETRA_PROFILE",
            help="Profile from categories.yaml to apply.",
            autocompletion=completion.profiles,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Run the selected test categories (see --help for flags)."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"config": config, "profile": profile, "services": services}
        return
    if keep_services and not real_services:
        raise typer.BadParameter(
            "it keeps what --real-services starts; add --real-services",
            param_hint="--keep-services",
        )
    source = ctx.get_parameter_source("services")
    if (
        services is not None
        and source is not None
        and source.name == "COMMANDLINE"
        and not real_services
    ):
        raise typer.BadParameter(
            "it chooses how --real-services starts services; add --real-services",
            param_hint="--services",
        )
    if list_ and plan:
        raise typer.BadParameter(
            "--list and --plan each print and exit; use one", param_hint="--list/--plan"
        )
    if changed and changed_since:
        raise typer.BadParameter(
            "--changed is the working tree against HEAD, --changed-since against REF; use one",
            param_hint="--changed/--changed-since",
        )
    if verbose and quiet:
        raise typer.BadParameter(
            "-v asks for more output and -q for less; use one", param_hint="-v/-q"
        )
    options = RunOptions(
        categories=tuple(category),
        all=all_,
        list=list_,
        plan=plan,
        keyword=keyword,
        markers=markers,
        files=tuple(file),
        no_deps=no_deps,
        real_services=real_services,
        keep_services=keep_services,
        services=services.value if services is not None else None,
        workers=_workers(workers),
        fail_fast=fail_fast,
        timeout=timeout,
        retries=retries,
        reports_dir=reports_dir,
        config=config,
        profile=profile,
        shard=shard,
        budget=_seconds(time_budget),
        allow_empty=allow_empty,
        changed=changed,
        changed_since=changed_since,
        last_failed=last_failed,
        failed_first=failed_first,
        junit=junit,
        json=json_path,
        html=html,
        plain=plain,
        verbosity=1 if verbose else -1 if quiet else 0,
    )
    out, err = _console(stderr=False, plain=plain), _console(stderr=True, plain=plain)
    raise typer.Exit(execute(options, out, err))


def _seconds(value: str | None) -> float | None:
    if value is None:
        return None
    match = re.fullmatch(r"([0-9]{1,12}(?:\.[0-9]{1,12})?)\s*(s|m|min)?", value.strip())
    if not match or float(match[1]) <= 0:
        raise typer.BadParameter(
            f"expected a time like 90s, 2m or 90 (seconds), got {value!r}", param_hint="--budget"
        )
    return float(match[1]) * (60 if match[2] in ("m", "min") else 1)


def _workers(value: str | None) -> int | str | None:
    if value is None or value == "auto":
        return value
    if re.fullmatch("[0-9]{1,9}", value) and int(value) >= 1:  # not '²': isdigit() says yes
        return int(value)
    shown = repr(value) if len(value) <= 40 else repr(value[:40] + "...")
    raise typer.BadParameter(
        f"expected a whole number of at least 1 or 'auto', got {shown}", param_hint="--workers"
    )


def _console(stderr: bool, plain: bool = False) -> Console:
    # --plain: no escape codes at all. NO_COLOR (set and not empty, no-color.org): no colour,
    # and nothing else changes. rich honours FORCE_COLOR itself.
    no_color = bool(os.environ.get("NO_COLOR"))
    return Console(
        stderr=stderr, color_system=None if plain else "auto", no_color=no_color, highlight=False
    )


services_app = typer.Typer(help="Start, inspect and stop services kept between runs.")
app.add_typer(services_app, name="services")


def _project_command(
    ctx: typer.Context,
    action: Callable[[Project, Choice, Console], None],
    services: ServicesBackend | None,
) -> None:
    out, err = _console(stderr=False), _console(stderr=True)
    settings = ctx.obj or {}
    chosen = services or settings.get("services")

    def run() -> int:
        project = load_project(
            find_config(Path.cwd(), settings.get("config")), settings.get("profile")
        )
        action(project, chosen.value if chosen else project.run.services or "auto", out)
        return 0

    raise typer.Exit(guard(run, err, Path.cwd() / "reports"))


@services_app.command("up")
def services_up(
    ctx: typer.Context,
    names: Annotated[
        list[str] | None,
        typer.Argument(
            help="Services to start (default: all).", autocompletion=completion.services
        ),
    ] = None,
    services: ServicesOption = None,
) -> None:
    """Start services and keep them running; later runs reuse them."""
    from netra_runner.services import commands

    _project_command(
        ctx, lambda project, choice, out: commands.up(project, names or [], choice, out), services
    )


@services_app.command("down")
def services_down(ctx: typer.Context, services: ServicesOption = None) -> None:
    """Remove this project's kept services (with auto: Docker's and local ones)."""
    from netra_runner.services import commands

    _project_command(ctx, commands.down, services)


@services_app.command("status")
def services_status(ctx: typer.Context, services: ServicesOption = None) -> None:
    """List this project's services: kept ones and those of runs in progress."""
    from netra_runner.services import commands

    _project_command(ctx, commands.status, services)


@services_app.command("logs")
def services_logs(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The service.", autocompletion=completion.services)],
    tail: Annotated[int | None, typer.Option("--tail", help="Only the last N lines.")] = None,
    services: ServicesOption = None,
) -> None:
    """Print a running service's log (secrets masked)."""
    from netra_runner.services import commands

    _project_command(
        ctx, lambda project, choice, out: commands.logs(project, name, tail, choice, out), services
    )


@app.command("init")
def init_command() -> None:
    """Write a starter categories.yaml here: a category per test folder found."""
    from netra_runner.starter import write_starter

    def run() -> int:
        _console(stderr=False).print(write_starter(Path.cwd()), markup=False, soft_wrap=True)
        return 0

    raise typer.Exit(guard(run, _console(stderr=True), Path.cwd() / "reports"))


report_app = typer.Typer(help="Work with reports written by earlier runs.")
app.add_typer(report_app, name="report")


@report_app.command("merge")
def report_merge(
    inputs: Annotated[
        list[Path],
        typer.Argument(help="junit.xml / report.json files, or report folders holding them."),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder for the merged junit.xml/report.json.")
    ] = Path("reports/merged"),
) -> None:
    """Merge several runs' reports (CI shards) into one; exits as the merged run would."""
    from netra_runner.reporting.merge_command import merge

    out = _console(stderr=False)
    raise typer.Exit(guard(lambda: merge(inputs, output, out), _console(stderr=True), output))


hooks_app = typer.Typer(help="Git hooks that run netra-run.")
app.add_typer(hooks_app, name="hooks")


@hooks_app.command("install")
def hooks_install() -> None:
    """Install a git pre-push hook running the pre-push profile (keeps an existing hook)."""
    from netra_runner.hooks import install

    def run() -> int:
        _console(stderr=False).print(install(Path.cwd()), markup=False, soft_wrap=True)
        return 0

    raise typer.Exit(guard(run, _console(stderr=True), Path.cwd() / "reports"))


history_app = typer.Typer(help="The durations history that orders tests and balances shards.")
app.add_typer(history_app, name="history")


@history_app.command("merge")
def history_merge(
    sources: Annotated[list[Path], typer.Argument(help="durations.json files (CI artifacts).")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The history to merge them into.")
    ] = Path(".netra/durations.json"),
) -> None:
    """Merge durations histories from other machines (CI shards) into this one."""
    from netra_runner.execution.history import merge_into

    def merge() -> int:
        missing = [str(s) for s in sources if not s.is_file()]
        if missing:
            raise UsageError(f"no such history file: {', '.join(missing)}")
        known = merge_into(output, sources)
        _console(stderr=False).print(
            f"merged {len(sources)} histories ({known} tests) into {output}"
        )
        return 0

    raise typer.Exit(guard(merge, _console(stderr=True), Path.cwd() / "reports"))


@app.command("doctor")
def doctor_command(
    ctx: typer.Context,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            help="Check with this profile applied.",
            autocompletion=completion.profiles,
        ),
    ] = None,
) -> None:
    """Check the config, and whether Docker (engine, images) and local processes (binaries)
    can run the services; without a config, what this machine can run."""
    from netra_runner.doctor import doctor  # imports the Docker SDK: only when asked

    settings = ctx.obj or {}
    out = _console(stderr=False)
    chosen = profile or settings.get("profile")
    raise typer.Exit(doctor(Path.cwd(), settings.get("config"), chosen, out))


def main() -> None:
    app(prog_name="netra-run")  # also under `python -m`: completion reads _NETRA_RUN_COMPLETE
