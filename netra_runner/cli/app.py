"""The typer app: flags become a RunOptions record; the workflow does the rest."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from netra_runner import __version__
from netra_runner.cli import completion, flags
from netra_runner.cli.command_line import rewrite
from netra_runner.config import Project, find_config, load_project
from netra_runner.consoles import console
from netra_runner.errors import ExitCode, UsageError

try:  # typer vendors click from 0.22 on; before, it is click itself
    from typer._click.exceptions import UsageError as ClickUsageError
except ImportError:  # pragma: no cover
    from click.exceptions import UsageError as ClickUsageError  # type: ignore[assignment,unused-ignore]
from netra_runner.cli.help_format import HelpCommand, grouped
from netra_runner.config.choices import DEFAULT, Choice, checked
from netra_runner.options import RunOptions
from netra_runner.workflow import execute, guard

app = typer.Typer(
    **grouped(
        name="netra-run",
        help="Run a monorepo's test categories, with the services they need, in parallel.",
        no_args_is_help=False,
        pretty_exceptions_enable=False,
    )
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"netra-run {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def run(
    ctx: typer.Context,
    category: flags.Categories = [],  # noqa: B006
    all_: flags.All = False,
    list_: flags.List = False,
    plan: flags.Plan = False,
    collect_only: flags.CollectOnly = False,
    output_format: flags.OutputFormat = "text",
    keyword: flags.Keyword = None,
    markers: flags.Markers = None,
    file: flags.Files = [],  # noqa: B006
    pytest_arg: flags.PytestArgs = [],  # noqa: B006
    shard: flags.Shard = None,
    changed: flags.Changed = False,
    changed_since: flags.ChangedSince = None,
    last_failed: flags.LastFailed = False,
    failed_first: flags.FailedFirst = False,
    time_budget: flags.Budget = None,
    allow_empty: flags.AllowEmpty = False,
    no_deps: flags.NoDeps = False,
    real_services: flags.RealServices = False,
    keep_services: flags.KeepServices = False,
    services: flags.Services = None,
    workers: flags.Workers = None,
    xdist: flags.Xdist = False,
    fail_fast: flags.FailFast = False,
    maxfail: flags.MaxFail = None,
    timeout: flags.Timeout = None,
    retries: flags.Retries = None,
    reports_dir: flags.ReportsDir = None,
    junit: flags.Junit = None,
    json_path: flags.Json = None,
    html: flags.Html = None,
    durations: flags.Durations = None,
    cov: flags.Cov = [],  # noqa: B006
    cov_fail_under: flags.CovFailUnder = None,
    plain: flags.Plain = False,
    verbose: flags.Verbose = False,
    quiet: flags.Quiet = False,
    config: flags.Config = None,
    profile: flags.Profile = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Run the selected test categories; test paths and node ids may be given as pytest
    takes them, and what follows -- goes to every pytest suite."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"config": config, "profile": profile, "services": services}
        return
    out, err = console(stderr=False, plain=plain), console(stderr=True, plain=plain)

    source = ctx.get_parameter_source("services")
    given = source is not None and source.name == "COMMANDLINE"
    build = functools.partial(RunOptions.from_flags, ctx.params, services_flag=given)
    raise typer.Exit(execute(build, out, err))


def main() -> None:
    """The command: the words sorted for click first (command_line.py). Completion reads
    _NETRA_RUN_COMPLETE; also under `python -m`."""
    if "_NETRA_RUN_COMPLETE" in os.environ:
        app(prog_name="netra-run")
        return
    try:
        words = rewrite(sys.argv[1:], typer.main.get_group(app))
    except UsageError as exc:
        console(stderr=True).print(
            f"netra-run: error: {exc}", markup=False, emoji=False, soft_wrap=True
        )
        raise SystemExit(exc.exit_code) from None
    try:
        code = app(args=words, prog_name="netra-run", standalone_mode=False)
    except ClickUsageError as exc:  # one line, as every other usage error: not click's block
        where = exc.ctx.command_path if exc.ctx else "netra-run"
        console(stderr=True).print(
            f"netra-run: error: {exc.format_message()} (see {where} --help)",
            markup=False,
            emoji=False,
            soft_wrap=True,
        )
        raise SystemExit(ExitCode.USAGE) from None
    except typer.Abort:
        raise SystemExit(ExitCode.INTERRUPTED) from None
    raise SystemExit(code if isinstance(code, int) else 0)


services_app = typer.Typer(**grouped(help="Start, inspect and stop services kept between runs."))
app.add_typer(services_app, name="services")


def _project_command(
    ctx: typer.Context,
    action: Callable[[Project, Choice, Console], None],
    services: str | None,
) -> None:
    out, err = console(stderr=False), console(stderr=True)
    settings = ctx.obj or {}
    chosen = services or settings.get("services")

    def run() -> int:
        project = load_project(
            find_config(Path.cwd(), settings.get("config")), settings.get("profile")
        )
        action(project, checked(chosen or project.run.services or DEFAULT), out)
        return 0

    raise typer.Exit(guard(run, err, Path.cwd() / "reports"))


@services_app.command("up", cls=HelpCommand)
def services_up(
    ctx: typer.Context,
    names: Annotated[
        list[str] | None,
        typer.Argument(
            help="Services to start (default: all).",
            autocompletion=completion.services,
            metavar="NAME",
            show_default=False,
        ),
    ] = None,
    services: flags.Services = None,
) -> None:
    """Start services and keep them running; later runs reuse them."""
    from netra_runner.services import commands

    _project_command(
        ctx, lambda project, choice, out: commands.up(project, names or [], choice, out), services
    )


@services_app.command("down", cls=HelpCommand)
def services_down(ctx: typer.Context, services: flags.Services = None) -> None:
    """Remove this project's kept services (with auto: Docker's and local ones)."""
    from netra_runner.services import commands

    _project_command(ctx, commands.down, services)


@services_app.command("status", cls=HelpCommand)
def services_status(ctx: typer.Context, services: flags.Services = None) -> None:
    """List this project's services: kept ones and those of runs in progress."""
    from netra_runner.services import commands

    _project_command(ctx, commands.status, services)


@services_app.command("logs", cls=HelpCommand)
def services_logs(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The service.", autocompletion=completion.services)],
    tail: Annotated[
        int | None, typer.Option("--tail", metavar="N", help="Only the last N lines.")
    ] = None,
    services: flags.Services = None,
) -> None:
    """Print a running service's log (secrets masked)."""
    from netra_runner.services import commands

    _project_command(
        ctx, lambda project, choice, out: commands.logs(project, name, tail, choice, out), services
    )


@app.command("init", cls=HelpCommand)
def init_command() -> None:
    """Write a starter categories.yaml here: a category per test folder found."""
    from netra_runner.cli.starter import write_starter

    def run() -> int:
        console(stderr=False).print(
            write_starter(Path.cwd()), markup=False, emoji=False, soft_wrap=True
        )
        return 0

    raise typer.Exit(guard(run, console(stderr=True), Path.cwd() / "reports"))


report_app = typer.Typer(**grouped(help="Work with reports written by earlier runs."))
app.add_typer(report_app, name="report")


@report_app.command("merge", cls=HelpCommand)
def report_merge(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="junit.xml / report.json files, or report folders holding them.",
            metavar="PATH",
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", metavar="DIR", help="Folder for the merged junit.xml/report.json."
        ),
    ] = Path("reports/merged"),
    cov_fail_under: Annotated[
        float | None,
        typer.Option(
            "--cov-fail-under",
            metavar="PERCENT",
            help="Fail (exit 1) when the shards' combined coverage is under PERCENT "
            "(default: the shards' own threshold).",
        ),
    ] = None,
) -> None:
    """Merge several runs' reports (CI shards) into one, their coverage too; exits as the
    merged run would."""
    from netra_runner.reporting.merge_command import merge

    out = console(stderr=False)
    run = functools.partial(merge, inputs, output, out, cov_fail_under)
    raise typer.Exit(guard(run, console(stderr=True), output))


hooks_app = typer.Typer(**grouped(help="Git hooks that run netra-run."))
app.add_typer(hooks_app, name="hooks")


@hooks_app.command("install", cls=HelpCommand)
def hooks_install() -> None:
    """Install a git pre-push hook running the pre-push profile (keeps an existing hook)."""
    from netra_runner.cli.git_hooks import install

    def run() -> int:
        console(stderr=False).print(install(Path.cwd()), markup=False, emoji=False, soft_wrap=True)
        return 0

    raise typer.Exit(guard(run, console(stderr=True), Path.cwd() / "reports"))


history_app = typer.Typer(
    **grouped(help="The durations history that orders tests and balances shards.")
)
app.add_typer(history_app, name="history")


@history_app.command("merge", cls=HelpCommand)
def history_merge(
    sources: Annotated[
        list[Path],
        typer.Argument(help="durations.json files (CI artifacts).", metavar="FILE"),
    ],
    output: Annotated[
        Path,
        typer.Option("--output", "-o", metavar="FILE", help="The history to merge them into."),
    ] = Path(".netra/durations.json"),
) -> None:
    """Merge durations histories from other machines (CI shards) into this one."""
    from netra_runner.execution.history import merge_files

    out = console(stderr=False)
    merge = functools.partial(merge_files, sources, output, out.print)
    raise typer.Exit(guard(merge, console(stderr=True), Path.cwd() / "reports"))


images_app = typer.Typer(**grouped(help="Service images for an engine that can reach no registry."))
app.add_typer(images_app, name="images")


@images_app.command("build", cls=HelpCommand)
def images_build(
    only: Annotated[
        str | None,
        typer.Option("--only", metavar="postgres|redis", help="Build only this image."),
    ] = None,
) -> None:
    """Build netra-offline/postgres and netra-offline/redis from this machine's own servers
    (Debian's postgresql and redis-server packages), with no registry."""
    from netra_runner.services.offline_images import build_images

    out = console(stderr=False)
    run = functools.partial(build_images, only, lambda line: out.print(line, markup=False))
    raise typer.Exit(guard(run, console(stderr=True), Path.cwd() / "reports"))


@app.command("doctor", cls=HelpCommand)
def doctor_command(
    ctx: typer.Context,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            metavar="NAME",
            help="Check with this profile applied.",
            autocompletion=completion.profiles,
        ),
    ] = None,
) -> None:
    """Check the config, and whether Docker (engine, images) and local processes (binaries)
    can run the services; without a config, what this machine can run."""
    from netra_runner.cli.doctor import doctor  # imports the Docker SDK: only when asked

    settings = ctx.obj or {}
    out, err = console(stderr=False), console(stderr=True)
    chosen = profile or settings.get("profile")
    check = functools.partial(doctor, Path.cwd(), settings.get("config"), chosen, out)
    raise typer.Exit(guard(check, err, Path.cwd() / "reports"))
