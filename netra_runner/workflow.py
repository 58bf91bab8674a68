"""The run as a straight line of stages; one place turns errors into exit codes."""

from __future__ import annotations

import contextlib
import signal
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from rich.console import Console

from netra_runner.config import find_config, load_project
from netra_runner.errors import ExitCode, NetraError
from netra_runner.execution.processes import ChildProcesses
from netra_runner.execution.suites import run_job
from netra_runner.options import RunOptions
from netra_runner.plan import Job, make_jobs
from netra_runner.reporting import console as render
from netra_runner.reporting.junit import write_junit
from netra_runner.reporting.listing import category_table, plan_view
from netra_runner.results import CategoryResult, RunResult, Status
from netra_runner.selection import select

CRASH_LOG = "netra-run-error.log"


def execute(options: RunOptions, out: Console, err: Console) -> int:
    """Run everything the options ask for; never raises, returns the exit code."""
    try:
        return _stages(options, out)
    except NetraError as exc:
        err.print(f"netra-run: error: {exc}", markup=False, soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        err.print("netra-run: interrupted")
        return ExitCode.INTERRUPTED
    except Exception:
        log = _write_crash_log(options)
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
    run = _run_jobs(jobs, out)
    _report(run, options.reports_in(project.root), out)
    return run.exit_code()


def _run_jobs(jobs: list[Job], out: Console) -> RunResult:
    start = time.monotonic()
    results: dict[str, CategoryResult] = {}
    with contextlib.ExitStack() as stack:
        children = stack.enter_context(ChildProcesses())
        stack.enter_context(_sigterm_as_interrupt())
        for job in jobs:
            result = _run_one(job, results, children, out)
            results[job.name] = result
            out.print(render.finished_line(result))
    return RunResult(tuple(results.values()), time.monotonic() - start)


def _run_one(
    job: Job, done: dict[str, CategoryResult], children: ChildProcesses, out: Console
) -> CategoryResult:
    if any(r.status is Status.INTERRUPTED for r in done.values()):
        return CategoryResult(job.name, Status.SKIPPED, reason="not run: the run was interrupted")
    if job.skip:
        return CategoryResult(job.name, Status.SKIPPED, reason=job.skip)
    blocked = [gate for gate in job.gates if not done[gate].ok]
    if blocked:
        gate = done[blocked[0]]
        reason = f"depends on {gate.name}, which {_verb(gate.status)}"
        return CategoryResult(job.name, Status.SKIPPED, reason=reason)
    out.print(f"START       {job.name}", style="dim", markup=False, highlight=False)
    return run_job(job, children)


def _verb(status: Status) -> str:
    return {Status.SKIPPED: "was skipped", Status.NO_TESTS: "ran no tests"}.get(
        status, f"ended {status.value}"
    )


def _report(run: RunResult, reports: Path, out: Console) -> None:
    write_junit(run, reports / "junit.xml")
    out.print()
    out.print(render.summary_table(run))
    for line in render.notes(run):
        out.print(line)
    for test in run.failures:
        out.print(render.failure_report(test), soft_wrap=True)
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


def _write_crash_log(options: RunOptions) -> Path:
    folder = options.reports_in(None)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        log = folder / CRASH_LOG
        log.write_text(traceback.format_exc(), encoding="utf-8")
    except OSError:
        log = Path.home() / CRASH_LOG
        log.write_text(traceback.format_exc(), encoding="utf-8")
    return log
