"""The run as a straight line of stages; one place turns errors into exit codes."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from netra_runner import interrupts
from netra_runner.config import Project, find_config, load_project
from netra_runner.context import RunContext
from netra_runner.cover.result import CoverageResult
from netra_runner.errors import ExitCode, NetraError, NothingToRun
from netra_runner.events import EventLog, read_events
from netra_runner.execution import history
from netra_runner.execution.marks import Mark
from netra_runner.execution.phases import PhaseClock
from netra_runner.execution.processes import ChildProcesses
from netra_runner.execution.runner import Runner
from netra_runner.execution.worker_budget import budget
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
from netra_runner.selection.narrowing import Narrowed, narrow, select

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
    interrupts.forget()
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


@dataclass
class Run:
    """What the stages hand on to each other: each fills in what it made."""

    options: RunOptions
    out: Console
    err: Console
    stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    project: Project | None = None
    context: RunContext | None = None
    narrowed: Narrowed | None = None
    jobs: list[Job] = field(default_factory=list)
    stream: Stream | None = None
    services: ServiceSession | None = None
    result: RunResult | None = None

    @property
    def say(self) -> Console:
        """Notes go beside JSON, never into it."""
        return self.err if self.options.format == "json" else self.out


@dataclass
class Stream:
    """What a run that starts suites has open: its event log and who listens to it, its
    child processes, and when it began."""

    events: EventLog
    lines: ProgressLines
    clock: PhaseClock
    watch: FolderWatch
    children: ChildProcesses
    start: float = field(default_factory=time.monotonic)
    started_at: float = field(default_factory=time.time)


Stage = Callable[[Run], "int | None"]  # an exit code ends the run; None goes on


def _stages(options: RunOptions, out: Console, err: Console) -> int:
    """The run as a line of stages: those that hold processes and services open run in
    one ExitStack, closed before the results are remembered and reported."""
    run = Run(options, out, err)
    try:
        with run.stack:
            for stage in OPEN_STAGES:
                code = stage(run)
                if code is not None:
                    return code
        for stage in CLOSING_STAGES:
            code = stage(run)
            if code is not None:
                return code
    except NothingToRun as exc:
        if not (run.options.allow_empty and exc.allowed):
            raise
        out.print(f"netra-run: {exc} (allowed: exit 0)", markup=False, emoji=False, soft_wrap=True)
        return ExitCode.OK
    return ExitCode.OK


def load(run: Run) -> int | None:
    """The config, and the options over its defaults and the profile's `run:`."""
    run.options.check()
    run.project = load_project(
        find_config(run.options.cwd, run.options.config), run.options.profile
    )
    run.options = run.options.under(run.project.run, run.project.config.defaults.real_services)
    run.options.check_services()
    if run.options.list:
        run.out.print(category_table(run.project))
        return ExitCode.OK
    return None


def resolve(run: Run) -> int | None:
    """Report paths, the history and the remembered failures, once."""
    assert run.project is not None
    run.context = RunContext.of(run.project, run.options)
    if not run.options.prints_only:
        check_report_paths(run.context)
    return None


def choose(run: Run) -> int | None:
    """The categories and tests to run, and what was left out, said."""
    assert run.context is not None and run.project is not None
    run.narrowed = narrow(run.context, select(run.project, run.options))
    _notes(run, run.narrowed.notes)
    return None


def plan(run: Run) -> int | None:
    """The jobs: each suite's command, folder and environment."""
    assert run.context is not None and run.narrowed is not None and run.project is not None
    entries = run.narrowed.selection.entries
    run.jobs = make_jobs(run.context, entries)
    own = [e for e in entries if e.category.is_pytest and not e.category.python]
    if own and not run.project.config.defaults.python and in_pre_commit_environment():
        _notes(run, (PRE_COMMIT_NOTE,))
    _notes(run, tuple(note for job in run.jobs for note in job.notes))
    return None


def print_only(run: Run) -> int | None:
    """--collect-only and --plan print, and run nothing."""
    assert run.context is not None and run.narrowed is not None and run.project is not None
    if run.options.collect_only:
        return _list_tests(run.context, run.narrowed.selection.entries, run.out)
    if not run.options.plan:
        return None
    run.out.print(plan_view(run.jobs, run.project), soft_wrap=True)
    if run.context.coverage is not None:
        from netra_runner.reporting.coverage_view import plan_line

        run.out.print(plan_line(run.context.coverage), markup=False, emoji=False, soft_wrap=True)
    return ExitCode.OK


def open_stream(run: Run) -> int | None:
    """The event log and its listeners (lines, the live view), and the child processes."""
    assert run.context is not None and run.project is not None
    options, reports = run.options, run.context.reports
    stream = Stream(
        EventLog(reports / "events.ndjson"),
        ProgressLines(run.out, options.verbosity),
        PhaseClock(),
        FolderWatch(reports),
        ChildProcesses(Mark.new(run.project.file)),
    )
    run.stack.callback(stream.watch.close)
    run.stack.callback(stream.events.close)
    stream.events.listen(stream.lines.on_event)
    stream.events.listen(stream.clock.on_event)
    if _live(options, run.out):
        live = run.stack.enter_context(LiveConsole(run.out, RunProgress(run.context.durations)))
        stream.events.listen(live.on_event)
    workers = budget(options.workers)
    stream.events.emit("run_started", categories=[j.name for j in run.jobs], workers=workers)
    run.stack.enter_context(stream.children)
    run.stack.enter_context(interrupts.as_interrupt())
    run.stream = stream
    return None


def start_services(run: Run) -> int | None:
    """The services the jobs need start now; each category waits for its own."""
    assert run.stream is not None and run.project is not None and run.context is not None
    needed = {name for job in run.jobs if job.skip is None for name in job.services}
    if not needed:
        return None
    from netra_runner.services.session import open_session  # the Docker SDK: on demand

    stream, options = run.stream, run.options
    session = open_session(
        run.project,
        needed,
        options.keep_services,
        stream.lines,
        stream.events,
        options.services or "auto",
        run.context.reports / "services",
    )
    run.services = run.stack.enter_context(session)
    return None


def run_suites(run: Run) -> int | None:
    """Every job, as its gates, services and the worker budget allow; the run's result."""
    assert run.stream is not None and run.context is not None and run.narrowed is not None
    stream, options, jobs = run.stream, run.options, run.jobs
    _prefetch(REPORTING)
    runner = Runner(
        jobs,
        stream.children,
        run.services,
        stream.events,
        stream.lines.category,
        budget(options.workers),
        options.stop_after,
    )
    results = {result.name: result for result in runner.run()}
    ordered = tuple(_with_job(results[job.name], job, stream.clock) for job in jobs)
    result = RunResult(
        ordered,
        time.monotonic() - stream.start,
        runner.service_error or runner.infrastructure_note(),
        _timings(run.services, runner.recovery.outages),
        runner.interrupted,
        stream.started_at,
        _failing_service_logs(run.services, ordered),
        shard=run.narrowed.shard,
        coverage=_coverage(run.context, jobs, results, stream.started_at),
    )
    code = int(result.exit_code())
    stream.events.emit("run_finished", exit_code=code, duration=round(result.duration, 3))
    if stream.watch.deleted():
        result = dataclasses.replace(result, notes=(FOLDER_DELETED.format(run.context.reports),))
    run.result = result
    return None


def remember(run: Run) -> int | None:
    """The durations history and the failures to run again: what the next run starts from."""
    assert run.context is not None and run.stream is not None and run.result is not None
    samples = history.samples(read_events(run.stream.events.path))
    history.record(_history_out(run.context), samples)
    run.context.last.after(run.result.categories).write(run.context.project.root)
    return None


def report(run: Run) -> int:
    """The reports, the summary and the closing line; the run's exit code."""
    assert run.context is not None and run.narrowed is not None and run.result is not None
    result, options = run.result, run.options
    if run.narrowed.over_budget:
        reason = f"over the {run.narrowed.budget:g}s budget"
        result = with_left_out(result, run.narrowed.over_budget, reason)
    from netra_runner.reporting.console import SLOWEST
    from netra_runner.reporting.summary import print_summary, write_reports

    unwritten = write_reports(result, run.context.paths)
    slowest = SLOWEST if options.durations is None else options.durations
    print_summary(result, run.out, quiet=options.verbosity < NORMAL, slowest=slowest)
    for problem in unwritten:
        run.err.print(f"netra-run: error: {problem}", markup=False, emoji=False, soft_wrap=True)
    code = result.exit_code()
    if code is ExitCode.NOTHING_RAN and options.allow_empty:
        code = ExitCode.OK
    # Green tests whose reports are missing are no green run for CI: the path was the user's.
    return ExitCode.USAGE if unwritten and code is ExitCode.OK else code


OPEN_STAGES: tuple[Stage, ...] = (
    load,
    resolve,
    choose,
    plan,
    print_only,
    open_stream,
    start_services,
    run_suites,
)
CLOSING_STAGES: tuple[Stage, ...] = (remember, report)


def _notes(run: Run, notes: tuple[str, ...]) -> None:
    for note in notes:
        run.say.print(note, markup=False, emoji=False, soft_wrap=True, style="yellow")


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
