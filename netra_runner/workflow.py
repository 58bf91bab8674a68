"""The run as a straight line of stages; one place turns errors into exit codes."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from rich.console import Console

from netra_runner.config import Project, find_config, load_project
from netra_runner.errors import ExitCode, NetraError
from netra_runner.events import FAILED_OUTCOMES, Event, EventLog, read_events
from netra_runner.execution import history
from netra_runner.execution.processes import ChildProcesses
from netra_runner.execution.runner import Runner
from netra_runner.execution.workers import budget
from netra_runner.options import RunOptions
from netra_runner.plan import Job, durations_file, make_jobs
from netra_runner.reporting import console as render
from netra_runner.reporting.junit import write_junit
from netra_runner.reporting.listing import category_table, plan_view
from netra_runner.results import CategoryResult, RunResult, ServiceTiming
from netra_runner.selection import select

if TYPE_CHECKING:
    from netra_runner.services.session import ServiceSession

CRASH_LOG = "netra-run-error.log"


def execute(options: RunOptions, out: Console, err: Console) -> int:
    """Run everything the options ask for; never raises, returns the exit code."""
    return guard(lambda: _stages(options, out), err, options.reports_in(_root(options)))


def _root(options: RunOptions) -> Path | None:
    """The project's folder when it can be found: a bug's log goes beside its reports."""
    try:
        return find_config(options.cwd, options.config).parent
    except NetraError:
        return None


def guard(action: Callable[[], int], err: Console, crash_dir: Path) -> int:
    """The one place errors become exit codes: expected ones one line, bugs a log file."""
    try:
        return action()
    except NetraError as exc:
        err.print(f"netra-run: error: {exc}", markup=False, soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        err.print("netra-run: interrupted")
        return ExitCode.INTERRUPTED
    except Exception:
        log = _write_crash_log(crash_dir)
        err.print(
            f"netra-run: internal error (a bug in netra-run); traceback in {log}", markup=False
        )
        return ExitCode.INTERNAL


def _stages(options: RunOptions, out: Console) -> int:
    project = load_project(find_config(options.cwd, options.config), options.profile)
    if options.list:
        out.print(category_table(project))
        return ExitCode.OK
    jobs = make_jobs(project, select(project, options).entries, options)
    if options.plan:
        out.print(plan_view(jobs), soft_wrap=True)
        return ExitCode.OK
    run = _run_jobs(project, jobs, options, out)
    _report(run, options.reports_in(project.root), out)
    return run.exit_code()


def _run_jobs(project: Project, jobs: list[Job], options: RunOptions, out: Console) -> RunResult:
    start = time.monotonic()
    say = Say(out)
    reports = options.reports_in(project.root)
    needed = {name for job in jobs if job.skip is None for name in job.services}
    events = EventLog(reports / "events.ndjson")
    events.listen(say.on_test)
    events.emit(
        "run_started", categories=[job.name for job in jobs], workers=budget(options.workers)
    )
    with contextlib.ExitStack() as stack:
        stack.callback(events.close)
        children = stack.enter_context(ChildProcesses())
        stack.enter_context(_sigterm_as_interrupt())
        services = None
        if needed:
            from netra_runner.services.session import open_session  # the Docker SDK: on demand

            session = open_session(project, needed, options.keep_services, say, events)
            services = stack.enter_context(session)
        runner = Runner(
            jobs, children, services, events, say.event, budget(options.workers), options.fail_fast
        )
        results = {result.name: result for result in runner.run()}
        timings = _timings(services)
        ordered = tuple(results[job.name] for job in jobs)
        run = RunResult(
            ordered, time.monotonic() - start, runner.service_error, timings, runner.interrupted
        )
        events.emit("run_finished", exit_code=int(run.exit_code()), duration=round(run.duration, 3))
    history.record(durations_file(project), history.samples(read_events(events.path)))
    return run


def _timings(services: ServiceSession | None) -> tuple[ServiceTiming, ...]:
    if services is None:
        return ()
    return tuple(ServiceTiming(s.name, s.seconds_to_healthy, s.reused) for s in services.live())


class Say:
    """Progress lines from any thread, one whole line at a time."""

    def __init__(self, out: Console) -> None:
        self.out = out
        self.lock = threading.Lock()

    def __call__(self, text: str) -> None:
        with self.lock:
            self.out.print(text, style="dim", markup=False, highlight=False, soft_wrap=True)

    def on_test(self, event: Event) -> None:
        """A failure is shown the moment it happens, not only in the summary."""
        if event["event"] == "test_finished" and event.get("outcome") in FAILED_OUTCOMES:
            self(f"{event['outcome'].upper():<11} [{event.get('category')}] {event['nodeid']}")

    def event(self, text: str, result: CategoryResult | None) -> None:
        if result is None:
            self(text)
            return
        with self.lock:
            self.out.print(render.finished_line(result), soft_wrap=True)


def _report(run: RunResult, reports: Path, out: Console) -> None:
    write_junit(run, reports / "junit.xml")
    out.print()
    out.print(render.summary_table(run))
    for line in render.notes(run):
        out.print(line)
    for test in run.flaky:
        out.print(render.flaky_line(test), soft_wrap=True)
    for test in run.failures:
        out.print(render.failure_report(test), soft_wrap=True)
    if run.service_error:
        out.print(run.service_error, style="red", markup=False, soft_wrap=True)
    if run.exit_code() is ExitCode.NOTHING_RAN:
        out.print("nothing ran: no selected category ran a test (see the reasons above)")
    # Never wrapped: CI systems read this line alone on its line.
    out.print(render.closing_line(run), markup=False, style="bold", soft_wrap=True)


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM takes the same path as Ctrl-C: children stopped, reports kept, exit 130."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _write_crash_log(folder: Path) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        log = folder / CRASH_LOG
        log.write_text(traceback.format_exc(), encoding="utf-8")
    except OSError:
        log = Path.home() / CRASH_LOG
        log.write_text(traceback.format_exc(), encoding="utf-8")
    return log
