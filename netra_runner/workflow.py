"""The run as a straight line of stages; one place turns errors into exit codes."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from netra_runner import interrupts
from netra_runner.config import find_config, load_project
from netra_runner.context import RunContext
from netra_runner.cover.result import CoverageResult
from netra_runner.errors import ExitCode, NetraError, NothingToRun
from netra_runner.events import EventLog, read_events
from netra_runner.execution import history
from netra_runner.execution.marks import Mark
from netra_runner.execution.phases import PhaseClock
from netra_runner.execution.processes import ChildProcesses
from netra_runner.execution.runner import Runner
from netra_runner.execution.workers import budget
from netra_runner.interpreters import PRE_COMMIT_NOTE, in_pre_commit_environment
from netra_runner.options import RunOptions
from netra_runner.plan import Job, make_jobs
from netra_runner.preflight import check_report_paths
from netra_runner.reporting import collected
from netra_runner.reporting.files import FolderWatch
from netra_runner.reporting.lines import NORMAL, ProgressLines
from netra_runner.reporting.listing import category_table, plan_view
from netra_runner.reporting.live import LiveConsole
from netra_runner.reporting.progress import RunProgress
from netra_runner.results import CategoryResult, RunResult, ServiceTiming, Status
from netra_runner.selection.budget import with_left_out
from netra_runner.selection.categories import Selected
from netra_runner.selection.collect import collect_each
from netra_runner.selection.narrowing import narrow, select

if TYPE_CHECKING:
    from netra_runner.services.session import ServiceSession
    from netra_runner.services.watch import Outage

CRASH_LOG = "netra-run-error.log"
# The reports, written once the tests are done: imported while they run (_prefetch).
REPORTING = ("netra_runner.reporting.summary", "netra_runner.reporting.console")
SHARD_HISTORY = "durations.json"
FOLDER_DELETED = (
    "{} was deleted during the run (by a test?): its event stream and category logs were "
    "kept and written back, every report was written again; the categories' own event "
    "files live on only in events.ndjson"
)


def execute(build: Callable[[], RunOptions], out: Console, err: Console) -> int:
    """Run everything the options ask for (built here: a flag's problem is an error like
    any other); never raises, returns the exit code."""
    built: list[RunOptions] = []

    def stages() -> int:
        built.append(build())
        return _stages(built[0], out, err)

    def crash_dir() -> Path:
        return built[0].reports_in(_root(built[0])) if built else Path.cwd() / "reports"

    return guard(stages, err, crash_dir)


def _root(options: RunOptions) -> Path | None:
    """The project's folder when it can be found: a bug's log goes beside its reports."""
    try:
        return find_config(options.cwd, options.config).parent
    except NetraError:
        return None


def guard(action: Callable[[], int], err: Console, crash_dir: Path | Callable[[], Path]) -> int:
    """The one place errors become exit codes: expected ones one line, bugs a log file
    (in `crash_dir`, worked out only then)."""
    try:
        return action()
    except NetraError as exc:
        err.print(f"netra-run: error: {exc}", markup=False, emoji=False, soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        err.print("netra-run: interrupted")
        return ExitCode.INTERRUPTED
    except Exception as exc:
        log = _write_crash_log(crash_dir() if callable(crash_dir) else crash_dir)
        what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if interrupts.received():  # the interrupt's doing: the run still ended by it
            err.print(
                f"netra-run: interrupted (cleaning up after it hit {what}; traceback in {log})",
                markup=False,
                emoji=False,
                soft_wrap=True,
            )
            return ExitCode.INTERRUPTED
        err.print(
            f"netra-run: internal error (a bug in netra-run): {what}; traceback in {log}",
            markup=False,
            emoji=False,
            soft_wrap=True,
        )
        return ExitCode.INTERNAL


def _stages(options: RunOptions, out: Console, err: Console) -> int:
    options.check()
    project = load_project(find_config(options.cwd, options.config), options.profile)
    options = options.under(project.run, project.config.defaults.real_services)
    options.check_services()
    if options.list:
        out.print(category_table(project))
        return ExitCode.OK
    context = RunContext.of(project, options)
    if not options.prints_only:
        check_report_paths(context)
    try:
        return _run_selected(context, out, err)
    except NothingToRun as exc:
        if not (options.allow_empty and exc.allowed):
            raise
        out.print(f"netra-run: {exc} (allowed: exit 0)", markup=False, emoji=False, soft_wrap=True)
        return ExitCode.OK


def _run_selected(context: RunContext, out: Console, err: Console) -> int:
    project, options = context.project, context.options
    narrowed = narrow(context, select(project, options))
    # Notes go beside JSON, never into it.
    say = err if options.format == "json" else out
    for note in narrowed.notes:
        say.print(note, markup=False, emoji=False, soft_wrap=True, style="yellow")
    jobs = make_jobs(context, narrowed.selection.entries)
    own = [e for e in narrowed.selection.entries if e.category.is_pytest and not e.category.python]
    if own and not project.config.defaults.python and in_pre_commit_environment():
        say.print(PRE_COMMIT_NOTE, markup=False, emoji=False, soft_wrap=True, style="yellow")
    for note in (note for job in jobs for note in job.notes):
        say.print(note, markup=False, emoji=False, soft_wrap=True, style="yellow")
    if options.collect_only:
        return _list_tests(context, narrowed.selection.entries, out)
    if options.plan:
        out.print(plan_view(jobs, project), soft_wrap=True)
        if context.coverage is not None:
            from netra_runner.reporting.coverage_view import plan_line

            out.print(plan_line(context.coverage), markup=False, emoji=False, soft_wrap=True)
        return ExitCode.OK
    run = dataclasses.replace(_run_jobs(context, jobs, out), shard=narrowed.shard)
    if narrowed.over_budget:
        run = with_left_out(run, narrowed.over_budget, f"over the {narrowed.budget:g}s budget")
    from netra_runner.reporting.console import SLOWEST
    from netra_runner.reporting.summary import print_summary, write_reports

    unwritten = write_reports(run, context.paths)
    slowest = SLOWEST if options.durations is None else options.durations
    print_summary(run, out, quiet=options.verbosity < NORMAL, slowest=slowest)
    for problem in unwritten:
        err.print(f"netra-run: error: {problem}", markup=False, emoji=False, soft_wrap=True)
    code = run.exit_code()
    if code is ExitCode.NOTHING_RAN and options.allow_empty:
        code = ExitCode.OK
    # Green tests whose reports are missing are no green run for CI: the path was the user's.
    return ExitCode.USAGE if unwritten and code is ExitCode.OK else code


def _list_tests(context: RunContext, entries: tuple[Selected, ...], out: Console) -> int:
    found = collect_each(context, entries, budget(context.options.workers))
    data = collected.listing(entries, found)
    if context.options.format == "json":
        out.print(
            collected.as_json(data), markup=False, emoji=False, soft_wrap=True, highlight=False
        )
    else:
        for line in collected.as_text(data):
            out.print(line, markup=False, emoji=False, soft_wrap=True)
    return collected.exit_code(data)


def _run_jobs(context: RunContext, jobs: list[Job], out: Console) -> RunResult:
    project, options, reports = context.project, context.options, context.reports
    start, started_at = time.monotonic(), time.time()
    say = ProgressLines(out, options.verbosity)
    needed = {name for job in jobs if job.skip is None for name in job.services}
    events = EventLog(reports / "events.ndjson")
    events.listen(say.on_event)
    clock = PhaseClock()
    events.listen(clock.on_event)
    watch = FolderWatch(reports)
    with contextlib.ExitStack() as stack:
        stack.callback(watch.close)
        stack.callback(events.close)
        if _live(options, out):
            live = stack.enter_context(LiveConsole(out, RunProgress(context.durations)))
            events.listen(live.on_event)
        events.emit(
            "run_started", categories=[job.name for job in jobs], workers=budget(options.workers)
        )
        children = stack.enter_context(ChildProcesses(Mark.new(project.file)))
        stack.enter_context(interrupts.as_interrupt())
        services = None
        if needed:
            from netra_runner.services.session import open_session  # the Docker SDK: on demand

            choice = options.services or "auto"
            session = open_session(
                project, needed, options.keep_services, say, events, choice, reports / "services"
            )
            services = stack.enter_context(session)
        _prefetch(REPORTING)
        runner = Runner(
            jobs,
            children,
            services,
            events,
            say.category,
            budget(options.workers),
            options.stop_after,
        )
        results = {result.name: result for result in runner.run()}
        ordered = tuple(_with_job(results[job.name], job, clock) for job in jobs)
        coverage = _coverage(context, jobs, results, started_at)
        run = RunResult(
            ordered,
            time.monotonic() - start,
            runner.service_error or runner.infrastructure_note(),
            _timings(services, runner.recovery.outages),
            runner.interrupted,
            started_at,
            _failing_service_logs(services, ordered),
            coverage=coverage,
        )
        events.emit("run_finished", exit_code=int(run.exit_code()), duration=round(run.duration, 3))
        if watch.deleted():
            run = dataclasses.replace(run, notes=(FOLDER_DELETED.format(reports),))
    history.record(_history_out(context), history.samples(read_events(events.path)))
    context.last.after(run.categories).write(context.project.root)
    return run


def _coverage(
    context: RunContext, jobs: list[Job], results: dict[str, CategoryResult], started: float
) -> CoverageResult | None:
    if context.coverage is None:
        return None
    from netra_runner.cover import touches
    from netra_runner.cover.measured import measure

    shard = context.options.shard
    result = measure(context.coverage, jobs, results, context.reports, started, shard)
    if context.options.shard is None:  # a shard's files are only its part of each category
        ran = {job.name for job in jobs if results[job.name].status is not Status.SKIPPED}
        touches.record(context.project.root, result, ran - {c for c, _ in result.not_measured})
    return result


def _prefetch(modules: tuple[str, ...]) -> None:
    """Import what the end of the run needs while its suites start: the main thread only
    waits then, and a module a thread is importing is waited for, never imported twice."""

    def load() -> None:
        for name in modules:
            with contextlib.suppress(Exception):  # an import error shows where it is used
                importlib.import_module(name)

    threading.Thread(target=load, name="prefetch", daemon=True).start()


def _history_out(context: RunContext) -> Path:
    """A shard records its durations beside its reports, never into the history other
    shards partition by (docs/ci.md: `history merge` folds them in after all shards)."""
    if context.options.shard is None:
        return context.history_file
    kept = context.reports / SHARD_HISTORY
    kept.unlink(missing_ok=True)  # this shard's samples only, not an earlier run's
    return kept


def _timings(
    services: ServiceSession | None, outages: dict[str, Outage]
) -> tuple[ServiceTiming, ...]:
    if services is None:
        return ()
    timings = []
    for s in services.live():
        down = outages.get(s.name)
        timings.append(
            ServiceTiming(
                s.name,
                s.seconds_to_healthy,
                s.reused,
                s.started_at,
                s.setup_seconds,
                down.since if down is not None and down.since >= s.started_at else None,
                down.reason if down is not None else "",
            )
        )
    for name, down in outages.items():  # it went down and is gone: its lane shows it
        if name not in {t.name for t in timings}:
            timings.append(
                ServiceTiming(name, 0.0, False, down.since, 0.0, down.since, down.reason)
            )
    return tuple(timings)


def _with_job(result: CategoryResult, job: Job, clock: PhaseClock) -> CategoryResult:
    ran = result.status is not Status.SKIPPED
    workers = job.workers if ran else 0
    return dataclasses.replace(
        result, services=job.services, workers=workers, phases=clock.of(job.name)
    )


def _failing_service_logs(
    services: ServiceSession | None, categories: tuple[CategoryResult, ...]
) -> dict[str, str]:
    """Read while the services still run: a failing test's JUnit carries their last words."""
    names = {s for c in categories if any(t.outcome.is_bad for t in c.tests) for s in c.services}
    return services.log_tails(names) if services is not None and names else {}


def _live(options: RunOptions, out: Console) -> bool:
    """Only on a real terminal: FORCE_COLOR makes CI logs colourful, not cursor-addressable.
    NO_COLOR turns colour off and nothing else (no-color.org): the live view stays."""
    if options.plain or options.verbosity != NORMAL:
        return False
    isatty = getattr(out.file, "isatty", None)
    return bool(isatty and isatty())


def _write_crash_log(folder: Path) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        log = folder / CRASH_LOG
        log.write_text(traceback.format_exc(), encoding="utf-8")
    except OSError:
        log = Path.home() / CRASH_LOG
        log.write_text(traceback.format_exc(), encoding="utf-8")
    return log
