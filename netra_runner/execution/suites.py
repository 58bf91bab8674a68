"""Run one category's suite as a child process and judge the result.

The JUnit file is the primary source; the exit code is the fallback and the cross-check:
a non-zero exit is never reported as a pass, whatever the file says.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from netra_runner.execution.junit_input import UnreadableReport, read_junit
from netra_runner.execution.processes import ChildProcesses
from netra_runner.plan import Job
from netra_runner.results import CategoryResult, Outcome, Status, TestResult

TAIL_LINES = 30
PYTEST_NO_TESTS = 5


def run_job(
    job: Job, children: ChildProcesses, extra_env: dict[str, str] | None = None
) -> CategoryResult:
    job.report_dir.mkdir(parents=True, exist_ok=True)
    if job.junit_source is not None:
        # A report left by an earlier run must never be read as this run's.
        job.junit_source.unlink(missing_ok=True)
    start = time.monotonic()
    try:
        code = children.run(job.argv, job.cwd, {**job.env, **(extra_env or {})}, job.output_log)
    except KeyboardInterrupt:
        return _interrupted(job, time.monotonic() - start)
    except OSError as exc:
        return _broken(job, f"cannot start {job.argv[0]!r}: {exc.strerror or exc}", 0.0)
    if children.stopping:
        return _interrupted(job, time.monotonic() - start)
    return judge(job, code, time.monotonic() - start)


def judge(job: Job, code: int, duration: float) -> CategoryResult:
    if job.junit_source is None:
        return _by_exit_code(job, code, duration)
    try:
        tests = _read(job)
    except UnreadableReport as exc:
        return _broken(job, f"exited {code} and left no readable JUnit report ({exc})", duration)
    bad = [t for t in tests if t.outcome.is_bad]
    if bad:
        return CategoryResult(job.name, Status.FAILED, tests, duration)
    if code == 0 or (code == PYTEST_NO_TESTS and job.is_pytest and not tests):
        if not tests:
            return CategoryResult(job.name, Status.NO_TESTS, (), duration, "collected no tests")
        return CategoryResult(job.name, Status.PASSED, tests, duration)
    reason = f"exited {code} although its report shows no failure"
    return _broken(job, reason, duration, tests)


def _read(job: Job) -> tuple[TestResult, ...]:
    assert job.junit_source is not None
    if not job.junit_source.is_file():
        raise UnreadableReport(f"{job.junit_source.name} was not written")
    tests = read_junit(job.junit_source, job.name, zero_based_lines=job.is_pytest)
    if not job.is_pytest:  # keep a copy beside the other per-category files
        shutil.copyfile(job.junit_source, job.report_dir / "junit.xml")
    return tests


def _by_exit_code(job: Job, code: int, duration: float) -> CategoryResult:
    """A command suite without a JUnit file counts as one test, judged by its exit code."""
    passed = code == 0
    test = TestResult(
        category=job.name,
        classname=job.name,
        name=" ".join(job.argv),
        outcome=Outcome.PASSED if passed else Outcome.FAILED,
        duration=duration,
        message="" if passed else f"exited {code}",
        output="" if passed else tail(job.output_log),
    )
    status = Status.PASSED if passed else Status.FAILED
    return CategoryResult(job.name, status, (test,), duration)


def _broken(
    job: Job, reason: str, duration: float, tests: tuple[TestResult, ...] = ()
) -> CategoryResult:
    """The suite itself failed: counted as one error so no report can miss it."""
    output = tail(job.output_log)
    error = TestResult(
        category=job.name,
        classname=job.name,
        name="(suite)",
        outcome=Outcome.ERROR,
        duration=duration,
        message=reason,
        output=output,
    )
    return CategoryResult(job.name, Status.ERROR, (*tests, error), duration, reason, output)


def _interrupted(job: Job, duration: float) -> CategoryResult:
    try:
        tests = _read(job) if job.junit_source else ()
    except UnreadableReport:
        tests = ()
    return CategoryResult(job.name, Status.INTERRUPTED, tests, duration, "interrupted")


def tail(log: Path, lines: int = TAIL_LINES) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.rstrip().splitlines()[-lines:])
