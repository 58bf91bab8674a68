"""Run one category's suite as child processes and judge the result.

pytest suites report through the netra plugin's event file (attempts, workers, crashes);
their JUnit file is the fallback, and command suites' JUnit is their only report. The exit
code is always the cross-check: a non-zero exit is never reported as a pass.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import posixpath
import re
import shlex
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from netra_runner.events import Event, read_events
from netra_runner.execution import shares
from netra_runner.execution.containment import masked_result, seal_log
from netra_runner.execution.junit_input import UnreadableReport, read_junit
from netra_runner.execution.processes import CategoryTimeout, ChildProcesses
from netra_runner.execution.suite_events import (
    SuiteEvents,
    crashed,
    junit_names,
    not_run,
    timed_out,
)
from netra_runner.plan import Job, write_inputs
from netra_runner.plugin.agreement import WORKER_ENV, WorkerEvent, watchdog_file
from netra_runner.plugin.coverage import DATA_PREFIX, NOT_MEASURED
from netra_runner.plugin.masking import Masker, mask_in_place
from netra_runner.plugin.watchdog import expired
from netra_runner.results import SUITE_ERROR, CategoryResult, Outcome, Status, TestResult

TAIL_LINES = 30
_EXCEPTION = re.compile(r"\b[A-Z]\w*(Error|Exception)\b: ")
_PYTEST_ERROR = re.compile(r"^(ERROR|INTERNALERROR>)")
_SUMMARY = re.compile(r"\b(no tests ran|\d+ \w+)\b.* in [\d.]+s\b")
PYTEST_NO_TESTS = 5
PYTEST_USAGE_ERROR = 4
MAX_RESTARTS = 3  # processes replaced after a crash, per category run without xdist
Restarted = Callable[[str], dict[str, str]]  # a worker's name -> what its restart changes


@dataclass
class Attempts:
    """What happened over the processes a pytest category took (more than one after crashes)."""

    code: int = 0
    crashes: list[TestResult] = field(default_factory=list)
    crashed_ids: set[str] = field(default_factory=set)
    stopped: str | None = None  # why the category was cut short, if it was


def run_job(
    job: Job,
    children: ChildProcesses,
    extra_env: dict[str, str] | None = None,
    events: Callable[[Job], list[Event]] | None = None,
    mask: Masker | None = None,
    restarted: Restarted | None = None,
    before_suite: Callable[[], None] | None = None,
) -> CategoryResult:
    """`events` gives a process's events (the job's, or a share's) as the run followed
    them (through a handle held on its file); without it they are read from the file.
    What the tests wrote is masked with `mask` (URL passwords at least) in the result
    and the output log. `restarted` gives what changes in the environment of a process
    (by its worker's name) started again after a crash (a fresh copy of an isolated
    service); `before_suite` runs after the category's own set-up, before its suite (its
    copies are made then: they carry what the set-up wrote)."""
    mask = mask or Masker()
    result = named_from_folder(
        _run_job(job, children, extra_env, events, restarted, before_suite), job.folder
    )
    read = events or (lambda part: read_events(part.events_file))
    result = dataclasses.replace(result, warnings=_warnings(job, read))
    seal_log(job.output_log, mask)
    # pytest writes its own JUnit (record_property values, parametrized ids): masked too
    mask_in_place(job.report_dir / "junit.xml", mask)
    return masked_result(result, mask)


def _warnings(job: Job, read: Callable[[Job], list[Event]]) -> int:
    """pytest's warnings count: each process says its own as its session ends."""
    if not job.pytest:
        return 0
    return sum(
        int(e.get("warnings") or 0)
        for part in (job.shares() if job.slices else [job])
        for e in read(part)
        if e["event"] == WorkerEvent.SESSION_FINISHED
    )


def named_from_folder(result: CategoryResult, folder: str) -> CategoryResult:
    """JUnit class names as pytest gives them where the suite runs (`tests.api.test_x` for
    a suite in backend/); ids stay named from the project root."""
    if not folder or posixpath.normpath(folder) == ".":
        return result  # a suite run from the project root: its names are already pytest's
    prefix = posixpath.normpath(folder).replace("/", ".") + "."
    tests = tuple(
        dataclasses.replace(t, classname=t.classname.removeprefix(prefix)) for t in result.tests
    )
    return dataclasses.replace(result, tests=tests)


def _run_job(
    job: Job,
    children: ChildProcesses,
    extra_env: dict[str, str] | None,
    events: Callable[[Job], list[Event]] | None,
    restarted: Restarted | None = None,
    before_suite: Callable[[], None] | None = None,
) -> CategoryResult:
    prepare(job)
    env = {**job.env, **(extra_env or {})}
    read = events or (lambda part: read_events(part.events_file))
    start = time.monotonic()
    failed_setup = _set_up(job, children, env)
    if failed_setup is not None:
        return _broken(job, failed_setup, time.monotonic() - start)
    if before_suite is not None:
        before_suite()
    if job.slices:
        return run_shares(job, children, env, read, start, restarted)
    try:
        attempts = (
            _run_pytest(job, children, env, read, restarted)
            if job.is_pytest
            else _run_command(job, children, env)
        )
    except OSError as exc:
        return _broken(job, f"cannot start {job.argv[0]!r}: {exc.strerror or exc}", 0.0)
    duration = time.monotonic() - start
    job.report_dir.mkdir(parents=True, exist_ok=True)  # a test may have deleted it
    if job.is_pytest:
        return judge_pytest(job, attempts, duration, read(job))
    if attempts.stopped:
        return _cut_short(job, attempts, duration, ())
    return judge(job, attempts.code, duration)


def prepare(job: Job) -> None:
    """Before anything reads the category's files: a report left by an earlier run must
    never be read as this run's."""
    job.report_dir.mkdir(parents=True, exist_ok=True)
    for stale in (job.junit_source, job.events_file, job.output_log):
        if stale is not None:
            stale.unlink(missing_ok=True)
    _forget_coverage(job.coverage_folder)
    for stale in job.report_dir.glob("watchdog-*.txt"):
        stale.unlink(missing_ok=True)
    write_inputs(job.inputs)
    for share in job.shares() if job.slices else ():
        prepare(share)


def _forget_coverage(folder: Path) -> None:
    """An earlier run's data files and note, and nothing else: a file netra-run did not
    write is not its to delete."""
    if folder.is_dir():
        for stale in folder.iterdir():
            if stale.is_file() and (
                stale.name.startswith(DATA_PREFIX) or stale.name == NOT_MEASURED
            ):
                stale.unlink(missing_ok=True)


def _set_up(job: Job, children: ChildProcesses, env: dict[str, str]) -> str | None:
    """The category's set-up commands, in turn, before its suite (output in its log):
    why one failed, or None."""
    for argv in job.setup:
        with job.output_log.open("ab") as out:
            out.write(f"$ {shlex.join(argv)}\n".encode())
        try:
            code = children.run(
                argv, job.cwd, env, job.output_log, job.ceiling, append=True, category=job.name
            )
        except CategoryTimeout:
            return f"its set-up `{shlex.join(argv)}` {_timed_out(job)}"
        except OSError as exc:
            return f"its set-up `{shlex.join(argv)}` cannot start: {exc.strerror or exc}"
        if code != 0:
            return f"its set-up `{shlex.join(argv)}` exited {code}; its suite did not run"
    return None


def _run_command(job: Job, children: ChildProcesses, env: dict[str, str]) -> Attempts:
    attempts = Attempts()
    try:
        attempts.code = children.run(
            job.argv,
            job.cwd,
            env,
            job.output_log,
            timeout=job.ceiling,
            append=True,  # after its set-up's output; prepare() removed an old log
            category=job.name,
        )
    except CategoryTimeout:
        attempts.stopped = _timed_out(job)
    attempts.stopped = children.why_stopped(job.name) or attempts.stopped
    return attempts


def _run_pytest(
    job: Job,
    children: ChildProcesses,
    env: dict[str, str],
    read: Callable[[Job], list[Event]],
    restarted: Restarted | None = None,
) -> Attempts:
    attempts = Attempts()
    argv = job.argv
    deadline = time.monotonic() + job.ceiling
    _hold_events(job, read)
    while True:
        try:
            attempts.code = children.run(
                argv,
                job.cwd,
                env,
                job.output_log,
                timeout=deadline - time.monotonic(),
                append=True,
                category=job.name,
                share="" if job.worker == "main" else job.worker,
            )
        except CategoryTimeout:
            attempts.stopped = _timed_out(job)
        attempts.stopped = children.why_stopped(job.name) or attempts.stopped
        events = read(job)
        suite = SuiteEvents.of(events)
        running = suite.running(attempts.crashed_ids)
        if attempts.stopped or suite.session_finished or running is None:
            return attempts
        # The process died in a test (os._exit, a segfault, its watchdog): that test fails,
        # the rest goes on.
        died = _died_in(job, running, attempts.code)
        attempts.crashes.append(died)
        attempts.crashed_ids.add(running)
        record_finish(job.events_file, died, _start_of(events, running), job.worker)
        left = suite.unfinished(attempts.crashed_ids)
        if not left or len(attempts.crashes) > MAX_RESTARTS:
            return attempts
        argv = job.restart_argv(left)
        if restarted is not None:  # what the dead process left behind is not the next one's
            env = {**env, **restarted(job.worker)}


def _hold_events(job: Job, read: Callable[[Job], list[Event]]) -> None:
    """The event file is made, and held open by the run's reader, before its process
    starts: a test deleting the reports folder then takes only a name, never the events."""
    with contextlib.suppress(OSError):
        job.events_file.parent.mkdir(parents=True, exist_ok=True)
        job.events_file.touch()
        read(job)


def run_shares(
    job: Job,
    children: ChildProcesses,
    env: dict[str, str],
    read: Callable[[Job], list[Event]],
    start: float,
    restarted: Restarted | None = None,
) -> CategoryResult:
    """A sliced category: its shares' processes side by side, each judged as a suite (a
    crash restarts only its share, with a fresh copy of its worker's isolated services),
    then taken together (execution/shares.py)."""
    shares.snapshot_history(job)
    parts = job.shares()

    def one(part: Job) -> CategoryResult:
        named = worker_environment(env, part.worker, job.slices)
        part = part.rendered(named)  # its `args` name its own copy ({DATABASE_URL}, ...)
        try:
            attempts = _run_pytest(part, children, named, read, restarted)
        except OSError as exc:
            return _broken(part, f"cannot start {part.argv[0]!r}: {exc.strerror or exc}", 0.0)
        part.report_dir.mkdir(parents=True, exist_ok=True)  # a test may have deleted it
        return judge_pytest(part, attempts, time.monotonic() - start, read(part))

    # What a test deleting the reports folder must not take (Job.private_to).
    with (
        shares.private_folder() as private,
        ThreadPoolExecutor(len(parts), thread_name_prefix=f"{job.name}-share") as pool,
    ):
        own = [part.private_to(private) for part in parts]
        results = list(pool.map(one, own))
        shares.join_logs(job, own)
    events = [read(part) for part in parts]
    problem = shares.collection_problem(job, events)
    merged = shares.merged(job, results, problem, time.monotonic() - start)
    return _with_unclaimed(job, merged, shares.unclaimed(events))


def worker_environment(env: dict[str, str], worker: str, count: int) -> dict[str, str]:
    """A worker's whole environment before its interpreter starts: its own copies'
    exports and `{worker}` values (so PYTEST_ADDOPTS, options read from the environment and
    settings read at import see them), and its name where suites look for it, as xdist
    gives it."""
    try:
        table = json.loads(env.get(WORKER_ENV) or "{}")
    except ValueError:
        table = {}
    own = table.get(worker) if isinstance(table, dict) else None
    named = {**env, **(own if isinstance(own, dict) else {})}
    named["PYTEST_XDIST_WORKER"] = worker
    named["PYTEST_XDIST_WORKER_COUNT"] = str(count)
    return named


def _with_unclaimed(job: Job, result: CategoryResult, left: list[str]) -> CategoryResult:
    """Tests no process claimed before they all stopped: not run, and said so."""
    if not left:
        return result
    why = "not run: every process of its category stopped before claiming it"
    ended = (Status.ERROR, Status.INTERRUPTED, Status.STOPPED)
    return dataclasses.replace(
        result,
        tests=(*result.tests, *(not_run(job.name, nodeid, why) for nodeid in left)),
        status=result.status if result.status in ended else Status.FAILED,
        reason=result.reason or f"{len(left)} tests were never claimed by a process",
    )


def judge_pytest(
    job: Job, attempts: Attempts, duration: float, events: list[Event]
) -> CategoryResult:
    suite = SuiteEvents.of(events)
    # A process stopped while it imported a conftest or started its session is the stop's
    # doing (Ctrl-C, SIGTERM, -x elsewhere): cut short, not a suite that cannot start.
    if suite.died_importing and not attempts.stopped:
        reason = (
            f"{suite.died_importing} ended its pytest process while being imported "
            f"(exit code {attempts.code})"
        )
        return _broken(job, reason, duration, tuple(suite.results(job.name)))
    if suite.refused_to_start and not attempts.stopped:
        reason = f"its session refused to start: {suite.refused_to_start}"
        return _broken(job, reason, duration, tuple(suite.results(job.name)))
    said_collected = any(e["event"] == WorkerEvent.COLLECTED for e in events)
    if not suite.seen and attempts.code == PYTEST_NO_TESTS and not said_collected:
        return _broken(job, _never_collected(job), duration)
    if not suite.seen and said_collected and attempts.code == PYTEST_NO_TESTS:
        # Nothing collected, as its own events say (a share may be empty; its JUnit is none)
        return CategoryResult(job.name, Status.NO_TESTS, (), duration, "collected no tests")
    refused = _usage_error(job) if attempts.code == PYTEST_USAGE_ERROR else None
    if not suite.seen and refused:
        reason = f"pytest refused its command line: {refused}"
        return dataclasses.replace(_broken(job, reason, duration), refused=True)
    if not suite.seen and not attempts.crashes:
        return (
            _cut_short(job, attempts, duration, ())
            if attempts.stopped
            else judge(job, attempts.code, duration)
        )
    if not attempts.crashes and not attempts.stopped and not _junit_written(job):
        # Events are lines any test can append to; pytest writes its JUnit only when its
        # session really finished.
        reason = (
            f"its pytest process exited with code {attempts.code} without writing its JUnit "
            "report: its session never finished, whatever its events say"
        )
        return _broken(job, reason, duration)
    unlisted = [] if attempts.crashes or attempts.stopped else _not_in_junit(job, suite)
    if unlisted:
        reason = (
            f"its events and its JUnit report disagree: {len(unlisted)} tests the events call "
            f"passed are not in the JUnit pytest wrote (e.g. {unlisted[0]})"
        )
        return _broken(job, reason, duration)
    # A crash is in the events too (record_finish), unless that write failed.
    tests = [
        *suite.results(job.name),
        *(c for c in attempts.crashes if not suite.finished(c.nodeid)),
    ]
    unfinished = suite.unfinished(attempts.crashed_ids)
    reason = attempts.stopped or _ended_early(job, attempts.code, len(unfinished))
    tests += [
        dataclasses.replace(
            not_run(job.name, n, f"not run: {reason}"), started=suite.start_times.get(n)
        )
        for n in unfinished
    ]
    if attempts.stopped:
        return _cut_short(job, attempts, duration, tuple(tests))
    return _by_tests(
        job,
        tuple(tests),
        attempts.code,
        duration,
        restarted=bool(attempts.crashes),
        reason=reason if unfinished else "",
    )


def _not_in_junit(job: Job, suite: SuiteEvents) -> list[str]:
    """Tests the events say passed that pytest's own JUnit never lists: lines appended to
    the event file by something else (a test forging its results). pytest names from its
    rootdir, which may sit below the project root: a class name may be a dotted suffix."""
    passed = [t for t in suite.results(job.name) if t.outcome is Outcome.PASSED and t.nodeid]
    if not passed or job.junit_source is None:
        return []
    try:
        listed = read_junit(job.junit_source, job.name, zero_based_lines=True)
    except UnreadableReport:
        return []  # judged as unreadable where it is read for the results
    by_name: dict[str, set[str]] = {}
    for case in listed:
        by_name.setdefault(case.name, set()).add(case.classname)
    return [t.nodeid for t in passed if not _listed(t.nodeid, by_name)]


def _listed(nodeid: str, by_name: dict[str, set[str]]) -> bool:
    classname, name = junit_names(nodeid)
    return any(
        classname == c or classname.endswith(f".{c}") or not c for c in by_name.get(name, ())
    )


def _junit_written(job: Job) -> bool:
    return job.junit_source is None or job.junit_source.is_file()


def _usage_error(job: Job) -> str | None:
    """pytest's own words for a usage error (an option with no value, an unknown option, a
    path that is not there, a plugin's UsageError), from the last lines it printed."""
    lines = tail(job.output_log, 20).splitlines()
    if any(line.startswith("ERROR: usage:") for line in lines):  # argparse's two lines
        said = [line.partition(": error: ")[2] for line in lines if ": error: " in line]
        return said[-1].strip() if said else None
    said = [line for line in lines if line.startswith("ERROR: ")]
    return said[-1].removeprefix("ERROR: ").strip() if said else None


def _never_collected(job: Job) -> str:
    """pytest said 'no tests ran' while no process of it finished collecting: a worker
    that died importing a test file (os._exit, a crash) looks exactly like an empty suite."""
    down = [line for line in tail(job.output_log, 60).splitlines() if "node down:" in line]
    why = f" ({down[-1].strip()})" if down else ""
    return (
        f"no process of it finished collecting its tests{why}: "
        "a test file may end its process when imported"
    )


def _ended_early(job: Job, code: int, count: int) -> str:
    """Why tests were collected and never ran: the process's exit and its last words
    (pytest's own error, such as a bad -k expression or an exception in a hook)."""
    said = _last_words(tail(job.output_log, 60).splitlines())
    words = f": {said[:300]}" if said else ""
    plural = "test" if count == 1 else "tests"
    return f"its process exited with code {code} before {count} {plural} ran{words}"


def judge(job: Job, code: int, duration: float) -> CategoryResult:
    """From the suite's JUnit file and exit code: command suites, and pytest's fallback."""
    if job.junit_source is None:
        return _by_exit_code(job, code, duration)
    try:
        tests = _read_junit(job)
    except UnreadableReport as exc:
        return _broken(job, f"exited {code} and left no readable JUnit report ({exc})", duration)
    return _by_tests(job, tests, code, duration)


def _by_tests(
    job: Job,
    tests: tuple[TestResult, ...],
    code: int,
    duration: float,
    restarted: bool = False,
    reason: str = "",
) -> CategoryResult:
    if any(t.outcome.is_bad or t.outcome is Outcome.NOT_RUN for t in tests):
        output = tail(job.output_log) if reason else ""
        return CategoryResult(job.name, Status.FAILED, tests, duration, reason, output)
    if code == 0 or restarted or (code == PYTEST_NO_TESTS and job.is_pytest and not tests):
        if not tests:
            return CategoryResult(job.name, Status.NO_TESTS, (), duration, "collected no tests")
        return CategoryResult(job.name, Status.PASSED, tests, duration)
    return _broken(job, f"exited {code} although its report shows no failure", duration, tests)


def _cut_short(
    job: Job, attempts: Attempts, duration: float, tests: tuple[TestResult, ...]
) -> CategoryResult:
    timed_out = attempts.stopped is not None and attempts.stopped.startswith("timed out")
    failed = any(t.outcome.is_bad for t in tests)
    status = Status.ERROR if timed_out else Status.FAILED if failed else Status.INTERRUPTED
    return CategoryResult(
        job.name, status, tests, duration, attempts.stopped or "", tail(job.output_log)
    )


def _read_junit(job: Job) -> tuple[TestResult, ...]:
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
        name=SUITE_ERROR,
        outcome=Outcome.ERROR,
        duration=duration,
        message=reason,
        output=output,
    )
    return CategoryResult(job.name, Status.ERROR, (*tests, error), duration, reason, output)


def _timed_out(job: Job) -> str:
    return f"timed out after {job.ceiling:g}s (category_timeout); its processes were killed"


def _last_words(lines: list[str]) -> str:
    """The line that says what broke: an exception or pytest's ERROR line, else the last
    line that is not pytest's summary ('no tests ran in 0.02s')."""
    lines = [line.strip() for line in lines if line.strip(" =")]
    for pattern in (_EXCEPTION, _PYTEST_ERROR):
        found = [line for line in lines if pattern.search(line)]
        if found:
            return found[-1]
    return next((line for line in reversed(lines) if not _SUMMARY.search(line)), "")


def _start_of(events: list[Event], nodeid: str) -> float | None:
    starts = [
        e["t"]
        for e in events
        if e["event"] == WorkerEvent.TEST_STARTED and e.get("nodeid") == nodeid
    ]
    return starts[-1] if starts else None


def record_finish(
    events_file: Path, test: TestResult, started: float | None, worker: str = "main"
) -> None:
    """The test_finished event the dead process could not write, so the event stream (the
    live view, the history) knows the test ended, and when."""
    now = time.time()
    event = {
        "t": round(now, 4),
        "event": WorkerEvent.TEST_FINISHED,
        "nodeid": test.nodeid,
        "outcome": "failed",
        "attempt": 1,
        "duration": round(now - started, 4) if started else 0.0,
        "worker": worker,
        "file": test.file,
        "line": test.line,
        "message": test.message,
        "details": test.details,
        "output": test.output,
        "phase": "call",
    }
    with contextlib.suppress(OSError), events_file.open("a", encoding="utf-8") as out:
        out.write(json.dumps(event) + "\n")


def _died_in(job: Job, nodeid: str, code: int) -> TestResult:
    found = expired(watchdog_file(job.events_file, "main"))
    if found is not None and found.nodeid == nodeid:
        return timed_out(job.name, nodeid, found.message, found.stacks)
    return crashed(job.name, nodeid, _how(code), _crash_output(job.output_log))


def _how(code: int) -> str:
    return f"killed by signal {-code}" if code < 0 else f"the process exited with code {code}"


def _crash_output(log: Path) -> str:
    """The top of a fatal error's dump (faulthandler): the error and the test's own frames."""
    text = tail(log, 200)
    start = text.rfind("Fatal Python error")
    if start == -1:
        return tail(log, 15)
    return "\n".join(text[start:].splitlines()[:10])


def tail(log: Path, lines: int = TAIL_LINES) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.rstrip().splitlines()[-lines:])
