"""The pytest plugin netra-run loads into every pytest suite it runs.

It adds what pytest and pytest-xdist lack, through their documented hooks:
- an NDJSON event per collected set, collection error and test attempt (written by the
  process that sees every report: the xdist controller, or the only process);
- a per-test timeout that fails the test where it was stuck (SIGALRM, main thread), and a
  watchdog outside Python (watchdog.py) that ends a test that does not stop at it;
- reruns of failing tests; earlier failed attempts are reported with outcome "rerun";
- the longest-first scheduler (execution/scheduler.py) when xdist runs the suite.

It must stay light: it is imported by every test process, xdist workers included.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from _pytest.runner import runtestprotocol

from netra_runner import agreement as agreed
from netra_runner import worker_env
from netra_runner.capture import shrink
from netra_runner.secrets import MASK_VARIABLE, Masker, capped
from netra_runner.subtests import description, is_subtest, make_sendable
from netra_runner.subtests import outcome as subtest_outcome
from netra_runner.tracebacks import error_lines
from netra_runner.watchdog import Watchdog, expired, watchdog_file

# The plugin's options, as netra-run's side names them (agreement.py).
EVENTS, RETRIES, TIMEOUT = agreed.EVENTS.dest, agreed.RETRIES.dest, agreed.TIMEOUT.dest
DURATIONS, FIRST, FLAGS = agreed.DURATIONS.dest, agreed.FIRST.dest, agreed.FLAGS.dest
SLICE, CLAIMS = agreed.SLICE.dest, agreed.CLAIMS.dest


class TestTimeout(Exception):
    """Raised inside a test that ran past its timeout, so the traceback shows where it was."""

    __test__ = False


# What else was going on when a test timed out (its other threads, its services), taken
# when the alarm fires and put on the failed report: a hang on a dead database reads as that.
_at_the_timeout: list[str] = []


def _with_context(reports: list[pytest.TestReport], context: str) -> None:
    failed = next((r for r in reports if r.failed), None)
    if failed is not None and context:
        failed.sections.append(("at the timeout", context))


def _at_timeout() -> str:
    """The stacks of the test's other threads and its services' last verdicts."""
    main = threading.main_thread().ident
    names = {t.ident: t.name for t in threading.enumerate()}
    parts = [
        f"thread {names.get(ident, ident)}:\n{''.join(traceback.format_stack(frame)).rstrip()}"
        for ident, frame in sys._current_frames().items()
        if ident != main
    ]
    services = worker_env.services_state()
    if services:
        parts.append("services:\n" + services)
    return "\n\n".join(parts)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("netra", "netra-run (set by netra-run itself)")
    types: dict[str, Any] = {RETRIES: int, TIMEOUT: float}
    defaults: dict[str, Any] = {RETRIES: 0, TIMEOUT: 0, FLAGS: ""}
    for option in agreed.OPTIONS:
        extra = {"type": types[option.dest]} if option.dest in types else {}
        default = defaults.get(option.dest)
        group.addoption(option.flag, dest=option.dest, default=default, help=option.help, **extra)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> Iterator[None]:
    worker_env.apply()  # before any conftest reads DATABASE_URL
    not_ready = worker_env.wait_gate()
    if not_ready is not None:
        if os.environ.get("PYTEST_XDIST_WORKER"):  # netra-run is stopping the suite
            time.sleep(worker_env.STOP_WAIT)  # an error here would have xdist start it again
        raise pytest.UsageError(not_ready)
    path = getattr(early_config.known_args_namespace, EVENTS, None)
    if path:
        _watch_conftest_imports(early_config.pluginmanager, Path(path))
    if os.environ.get(agreed.COVERAGE):  # before the conftests import the code under test
        from netra_runner.cover.worker import start

        start(early_config.known_args_namespace, os.environ[agreed.COVERAGE])
    return (yield)


def _watch_conftest_imports(manager: pytest.PytestPluginManager, events: Path) -> None:
    """Say which conftest is being imported, so that one that ends the process at import
    (sys.exit, os._exit) can be named. pytest has no hook before a conftest import: its
    importer is wrapped, where it is (a private method; without it nothing is said)."""
    original = getattr(manager, "_importconftest", None)
    if original is None:
        return

    def importing(conftest: Path, *args: Any, **kwargs: Any) -> Any:
        where = os.path.relpath(conftest)
        _note(events, "conftest_started", where)
        try:
            return original(conftest, *args, **kwargs)
        except SystemExit:  # pytest would call it an internal error, naming no file
            _note(events, "conftest_exited", where)
            raise
        finally:
            _note(events, "conftest_finished", where)

    manager._importconftest = importing  # type: ignore[method-assign,assignment]


def _note(events: Path, event: str, conftest: str) -> None:
    line = json.dumps(
        {"t": round(time.time(), 4), "event": event, "path": conftest, "pid": os.getpid()}
    )
    events.parent.mkdir(parents=True, exist_ok=True)
    with events.open("a", encoding="utf-8") as out:
        out.write(line + "\n")


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(Containment(_masker()), "netra-containment")
    is_worker = hasattr(config, "workerinput")
    path = config.getoption(EVENTS)
    distributed = bool(getattr(config.option, "numprocesses", None))
    # Ids and files are named from where pytest was started (the project root), not from its
    # rootdir (a nested project's own config moves it): that is how they are passed back in.
    base = os.path.relpath(config.rootpath, config.invocation_params.dir)
    worker = config.workerinput["workerid"] if is_worker else "main"  # type: ignore[attr-defined]
    sliced = _slicing(config, base)
    if path and is_worker:
        # Only a worker knows it is starting a test; the controller hears of it without a name.
        starts = WorkerStarts(Path(path), worker, base)
        config.pluginmanager.register(starts, "netra-worker-starts")
    elif path:
        writer = EventWriter(Path(path), base, starts=not distributed, sliced=sliced)
        config.pluginmanager.register(writer, "netra-events")
        if sliced is not None:
            sliced.emit = writer.emit
        if distributed and os.environ.get(worker_env.WORKER_ENV):
            from netra_runner.replaced_workers import ReplacedWorkers

            replaced = ReplacedWorkers(writer.emit, Path(path))
            config.pluginmanager.register(replaced, "netra-replaced-workers")
    if path and (config.getoption(TIMEOUT) or 0) > 0 and (is_worker or not distributed):
        guard = HardTimeout(Watchdog(watchdog_file(Path(path), worker)), base)
        config.pluginmanager.register(guard, "netra-watchdog")
    if getattr(config.option, "numprocesses", None) and not is_worker:
        # -n is set: xdist is loaded, under whatever name ("xdist.plugin" without autoload).
        from netra_runner.execution.xdist_scheduler import SchedulerPlugin

        config.pluginmanager.register(
            SchedulerPlugin(config.getoption(DURATIONS), base, _first(config, base)),
            "netra-scheduler",
        )
        if config.getoption(FLAGS):
            flags = WorkerFlags(shlex.split(config.getoption(FLAGS)))
            config.pluginmanager.register(flags, "netra-worker-flags")


class WorkerFlags:
    """The category's interpreter flags (-bb, -X dev) for xdist's workers too: xdist starts
    them with the bare interpreter."""

    def __init__(self, flags: list[str]) -> None:
        self.flags = flags

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_setupnodes(self, config: pytest.Config, specs: list[Any]) -> None:
        for spec in specs:
            if spec.popen and not spec.python:
                spec.python = shlex.join([sys.executable, *self.flags])


def _slicing(config: pytest.Config, base: str) -> Slicing | None:
    value = config.getoption(SLICE)
    if not value:
        return None
    from netra_runner.execution import slices

    try:
        index, count = slices.parse(value)
    except ValueError as exc:
        raise pytest.UsageError(f"{agreed.SLICE.flag}: {exc}") from None
    claims = config.getoption(CLAIMS)
    if not claims:
        raise pytest.UsageError(f"{agreed.SLICE.flag} needs {agreed.CLAIMS.flag}: its work")
    sliced = Slicing(index, count, config.getoption(DURATIONS), base, _first(config, base))
    sliced.claims = Path(claims)
    config.pluginmanager.register(sliced, "netra-slicing")
    return sliced


class Slicing:
    """This process is worker `index` of `count`, claiming its work as it goes
    (execution/slices.py, claims.py)."""

    def __init__(
        self, index: int, count: int, durations: str | None, base: str, first: frozenset[str]
    ) -> None:
        self.index, self.count = index, count
        self.durations, self.base, self.first = durations, base, first
        self.collected: dict[str, Any] = {}  # what the whole collection was, for its event
        self.worker = f"gw{index - 1}"  # as xdist would name it: reports show one lane each
        self.claims = Path()  # the file of the counter every process claims units from
        self.units: list[tuple[int, ...]] = []
        self.weights: list[float] = []
        self.emit: Any = lambda *args, **fields: None  # the event writer's, once there is one

    @pytest.hookimpl(trylast=True)  # after -k, -m and --netra-first had their say
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        from netra_runner.execution import slices
        from netra_runner.execution.history import Durations

        ids = [item.nodeid for item in items]
        history = Durations.load(self.durations).relative_to(self.base)
        groups = dict(_xdist_groups(items))
        self.collected = {
            "index": self.index,
            "count": self.count,
            "of": len(ids),
            "digest": slices.digest(ids),
        }
        # every process keeps the whole collection: it claims what it runs as it goes
        planned = slices.units(ids, history, self.count, self.first, groups)
        self.units = [unit.indices for unit in planned]
        self.weights = [unit.weight for unit in planned]
        self.collected["pull"] = True

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        """pytest's own loop over the items this process claims as it goes. The next item is
        known before the current one ends, as pytest (and xdist's workers) need it to be:
        module and session fixtures tear down where plain pytest would tear them down."""
        if session.config.option.collectonly:
            return None
        if session.testsfailed and not session.config.option.continue_on_collection_errors:
            raise session.Interrupted(f"{session.testsfailed} errors during collection")
        claimed = self._claimed(session.items)
        item = next(claimed, None)
        while item is not None:
            following = next(claimed, None)
            item.config.hook.pytest_runtest_protocol(item=item, nextitem=following)
            if session.shouldfail:
                raise session.Failed(session.shouldfail)
            if session.shouldstop:
                raise session.Interrupted(session.shouldstop)
            item = following
        return True

    def _claimed(self, items: list[pytest.Item]) -> Iterator[pytest.Item]:
        from netra_runner.execution.claims import Claims

        claims = Claims(self.claims, self.weights, self.count)
        while taken := claims.take():
            chosen = [items[i] for position in taken for i in self.units[position]]
            self.emit("claimed", tests=[rebase(item.nodeid, self.base) for item in chosen])
            yield from chosen

    @pytest.fixture(scope="session")
    def worker_id(self) -> str:
        """xdist's fixture, as a worker of its would answer (xdist's says "master" here)."""
        return self.worker


def _xdist_groups(items: list[pytest.Item]) -> Iterator[tuple[int, str]]:
    """Each test's `xdist_group` name (as a marker argument, or `name=`)."""
    for index, item in enumerate(items):
        mark = item.get_closest_marker("xdist_group")
        name = (mark.args[0] if mark.args else mark.kwargs.get("name")) if mark else None
        if name is not None:
            yield index, str(name)


def _first(config: pytest.Config, base: str) -> frozenset[str]:
    """--netra-first's ids (named from the project root), as this pytest names them."""
    path = config.getoption(FIRST)
    if not path:
        return frozenset()
    ids = Path(path).read_text(encoding="utf-8").split()
    return frozenset(_unbase(nodeid, base) for nodeid in ids)


def _unbase(nodeid: str, base: str) -> str:
    prefix = base.rstrip("/") + "/"
    return nodeid[len(prefix) :] if base != "." and nodeid.startswith(prefix) else nodeid


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    first = _first(config, os.path.relpath(config.rootpath, config.invocation_params.dir))
    if first:
        items.sort(key=lambda item: item.nodeid not in first)  # stable: the rest keep order


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool:
    retries = item.config.getoption(RETRIES) or 0
    timeout, bound = timeouts(item.config.getoption(TIMEOUT) or 0, suite_timeout(item))
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    guard: HardTimeout | None = item.config.pluginmanager.get_plugin("netra-watchdog")
    for attempt in range(1, retries + 2):
        with _deadline(timeout), _hard(guard, item.nodeid, bound):
            reports = runtestprotocol(item, nextitem=nextitem, log=False)
        if _at_the_timeout:
            _with_context(reports, _at_the_timeout.pop())
        again = attempt <= retries and any(r.failed for r in reports)
        # A retry is for the test: none while a service it uses is down.
        again = again and worker_env.services_up_since(time.time())
        for report in reports:
            report.netra_attempt = attempt  # type: ignore[attr-defined]
            if again and report.failed:
                report.outcome = "rerun"  # type: ignore[assignment]
            item.ihook.pytest_runtest_logreport(report=report)
        if not again:
            break
        _forget_failed_fixtures(item)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


def timeouts(netra: float, suite: float | None) -> tuple[float, float]:
    """netra-run's alarm for a test, and the watchdog's bound (0: none). netra-run's timeout
    is a default: where the suite's own pytest-timeout setting is stricter (or netra-run's
    is off) that one fires, in its own way, and netra-run sets no alarm over it."""
    if suite is not None and (netra <= 0 or suite <= netra):
        return 0.0, suite
    return netra, netra


def suite_timeout(item: pytest.Item) -> float | None:
    """pytest-timeout's timeout for this test (its marker, --timeout, ini or environment),
    read by pytest-timeout itself; None where it is not loaded or sets none."""
    manager = item.config.pluginmanager
    plugin = manager.get_plugin("timeout") or manager.get_plugin("pytest_timeout")
    settings_of = getattr(plugin, "_get_item_settings", None)
    if settings_of is None:
        return None
    try:
        seconds = settings_of(item).timeout
    except Exception:  # a bad marker: pytest-timeout reports it itself, in the test
        return None
    return float(seconds) if isinstance(seconds, int | float) and seconds > 0 else None


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    if seconds <= 0:
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        _at_the_timeout[:] = [_at_timeout()]
        raise TestTimeout(f"timeout after {seconds:g}s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _masker() -> Masker:
    """The secrets netra-run handed this suite. Left in the environment: xdist's workers
    inherit it from the controller, and a test printing it prints masked values."""
    try:
        values = json.loads(os.environ.get(MASK_VARIABLE, "[]"))
    except ValueError:
        values = []
    return Masker(v for v in values if isinstance(v, str))


class Containment:
    """What a test wrote reaches no report raw: secrets masked, each text capped (its head
    and tail kept). First of all plugins, so JUnit, xdist and the events see only this."""

    def __init__(self, masker: Masker) -> None:
        self.mask = masker

    # Innermost around each phase: the capture file is cut down before pytest reads it
    # whole into memory (a test printing 200 MB would cost pytest twice that).
    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Iterator[None]:
        return (yield from _shrinking_capture(item.config))

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Iterator[None]:
        return (yield from _shrinking_capture(item.config))

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Iterator[None]:
        return (yield from _shrinking_capture(item.config))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._contain(report)
        if is_subtest(report):
            # Named where its values are: xdist sends them as text, and the name must be
            # the one a serial run gives.
            if not hasattr(report, "netra_subtest"):  # the controller: named by its worker
                report.netra_subtest = description(report)  # type: ignore[attr-defined]
            make_sendable(report)

    @pytest.hookimpl(tryfirst=True)
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        self._contain(report)

    def _contain(self, report: pytest.TestReport | pytest.CollectReport) -> None:
        # Masking and capping twice change nothing: the xdist controller does both again.
        report.sections = [(t, capped(self.mask(text))) for t, text in report.sections]
        if report.longrepr is None:
            return
        if isinstance(report.longrepr, tuple):  # a skip: (file, line, reason)
            file, line, reason = report.longrepr
            report.longrepr = (file, line, self.mask(reason))
            return
        text = report.longreprtext
        shown = capped(self.mask(text))
        if shown != text:
            crash = getattr(report.longrepr, "reprcrash", None)
            if crash is not None:
                report.netra_message = self.mask(str(crash.message))  # type: ignore[union-attr]
            report.longrepr = shown


def _shrinking_capture(config: pytest.Config) -> Iterator[None]:
    try:
        return (yield)
    finally:
        capturing = getattr(
            config.pluginmanager.getplugin("capturemanager"), "_global_capturing", None
        )
        for capture in (getattr(capturing, "out", None), getattr(capturing, "err", None)):
            shrink(getattr(capture, "tmpfile", None))


class HardTimeout:
    """Holds the process's watchdog; closes it with the session."""

    def __init__(self, watchdog: Watchdog, base: str) -> None:
        self.watchdog = watchdog
        self.base = base

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.watchdog.close()


@contextmanager
def _hard(guard: HardTimeout | None, nodeid: str, seconds: float) -> Iterator[None]:
    if guard is None or seconds <= 0:
        yield
        return
    guard.watchdog.arm(rebase(nodeid, guard.base), seconds)
    try:
        yield
    finally:
        guard.watchdog.disarm()


def _forget_failed_fixtures(item: pytest.Item) -> None:
    """A rerun must set up again what failed to set up, not replay the cached error."""
    fixture_info = getattr(item, "_fixtureinfo", None)
    for definitions in getattr(fixture_info, "name2fixturedefs", {}).values():
        for definition in definitions:
            cached = getattr(definition, "cached_result", None)
            if cached is not None and cached[2] is not None:
                definition.cached_result = None
    init = getattr(item, "_initrequest", None)
    if init is not None:
        init()


class EventFile:
    """Appends whole lines with one write each: xdist's workers and controller share the file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def emit(self, event: str, **fields: Any) -> None:
        line = json.dumps({"t": round(time.time(), 4), "event": event, **fields}) + "\n"
        os.write(self.fd, line.encode())

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        os.close(self.fd)


class WorkerStarts(EventFile):
    def __init__(self, path: Path, worker: str, base: str = ".") -> None:
        super().__init__(path)
        self.worker = worker
        self.base = base

    def pytest_runtest_logstart(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        self.emit("test_started", nodeid=rebase(nodeid, self.base), worker=self.worker)


def rebase(nodeid: str, base: str) -> str:
    """pytest's rootdir-relative id, relative to the folder pytest was started in."""
    if base == "." or not nodeid:
        return nodeid
    path, sep, rest = nodeid.partition("::")
    return f"{os.path.normpath(Path(base, path))}{sep}{rest}"


class EventWriter(EventFile):
    """Writes one JSON line per event; lives in the process that sees every report."""

    def __init__(
        self, path: Path, base: str = ".", starts: bool = True, sliced: Slicing | None = None
    ) -> None:
        super().__init__(path)
        self.base = base
        self.starts = starts  # False under xdist: the workers write their own starts
        self.sliced = sliced
        self.worker = sliced.worker if sliced is not None else "main"
        self.attempts: dict[tuple[str, int], list[pytest.TestReport]] = {}
        # By test, not attempt: a subtest's report carries no attempt; the test's teardown
        # closes each attempt's count.
        self.subtests_passed: dict[str, int] = {}
        self.collected = False

    @pytest.hookimpl(wrapper=True)
    def pytest_sessionstart(self, session: pytest.Session) -> Iterator[None]:
        """A conftest that refuses to start (`raise session.Failed(...)`, as suites do on
        finding a previous run's state) makes pytest exit silently: its words are kept."""
        try:
            return (yield)
        except BaseException as exc:
            self.emit("session_failed", message=f"{type(exc).__name__}: {exc}"[:2000])
            raise

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        # Only where tests were collected here: the xdist controller collects nothing.
        self._collected([rebase(item.nodeid, self.base) for item in session.items])

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self._collected([rebase(nodeid, self.base) for nodeid in ids])

    def _collected(self, ids: list[str]) -> None:
        if not self.collected:
            self.collected = True
            shares = {"slice": self.sliced.collected} if self.sliced is not None else {}
            self.emit("collected", tests=ids, **shares)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        nodeid = rebase(report.nodeid, self.base)
        if report.failed:
            self.emit(
                "collect_error",
                nodeid=nodeid,
                message=f"collection error in {nodeid or 'the session'}",
                details=error_lines(report.longreprtext),
            )
        elif report.skipped:
            # A module skipped while collected (pytest.importorskip, allow_module_level):
            # one skip in pytest's count and its JUnit, under the module's id.
            self.emit("test_finished", **_skipped_module(report, nodeid))

    def pytest_runtest_logstart(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        if self.starts:
            self.emit("test_started", nodeid=rebase(nodeid, self.base), worker=self.worker)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        attempt = getattr(report, "netra_attempt", 1)
        key = (report.nodeid, attempt)
        if is_subtest(report):
            self._subtest(report, key)
            return
        self.attempts.setdefault(key, []).append(report)
        if _when(report) in ("teardown", "???"):  # "???": xdist's report for a crashed worker
            summary = summarize(self.attempts.pop(key), attempt, self.base, self.worker)
            summary["subtests_passed"] = self.subtests_passed.pop(report.nodeid, 0)
            if summary["outcome"] == "crashed":
                summary |= self._timed_out(summary)
            self.emit("test_finished", **summary)

    def _subtest(self, report: pytest.TestReport, key: tuple[str, int]) -> None:
        """A passed subtest is counted on its test; any other is a result of its own."""
        if subtest_outcome(report) == "passed":
            self.subtests_passed[report.nodeid] = self.subtests_passed.get(report.nodeid, 0) + 1
            return
        summary = summarize([report], key[1], self.base, self.worker)
        parent = summary["nodeid"]
        summary |= {
            "nodeid": f"{parent} {getattr(report, 'netra_subtest', None) or description(report)}",
            "outcome": subtest_outcome(report),
            "parent": parent,
            "subtest": True,
        }
        self.emit("test_finished", **summary)

    def _timed_out(self, summary: dict[str, Any]) -> dict[str, Any]:
        """A worker ended by its watchdog: the test timed out; it did not crash."""
        found = expired(watchdog_file(self.path, summary["worker"]))
        if found is None or found.nodeid != summary["nodeid"]:
            return {}
        return {"outcome": "failed", "message": found.message, "details": found.stacks}

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.emit("session_finished", exitstatus=int(exitstatus))


NO_BODY = "its set-up ran, its body never did (--setup-only, --setup-plan or a plugin)"


def summarize(
    reports: list[pytest.TestReport], attempt: int, base: str = ".", worker: str = "main"
) -> dict[str, Any]:
    """One attempt's setup/call/teardown reports as one outcome."""
    first = reports[0]
    bad = next((r for r in reports if r.failed or _outcome(r) == "rerun"), None)
    skipped = next((r for r in reports if r.skipped), None)
    xpassed = next((r for r in reports if r.passed and hasattr(r, "wasxfail")), None)
    outcome = _bad_outcome(bad) if bad is not None else _good_outcome(skipped, xpassed)
    body_ran = any(r.when == "call" for r in reports)
    if outcome == "passed" and not body_ran:  # --setup-only, --setup-plan, a plugin's doing
        outcome = "not run"
    shown = bad or skipped or xpassed
    fspath, line, _ = first.location
    node = getattr(first, "node", None)
    return {
        "nodeid": rebase(first.nodeid, base),
        "outcome": outcome,
        "attempt": attempt,
        "duration": round(sum(r.duration for r in reports), 4),
        "setup": round(sum(r.duration for r in reports if r.when == "setup"), 4),
        "worker": node.gateway.id if node is not None else worker,
        "file": os.path.normpath(Path(base, fspath)),
        "line": None if line is None else line + 1,
        "message": _message(shown) if shown is not None else _no_message(outcome),
        "details": _without_worker_line(bad.longreprtext) if bad is not None else "",
        "phase": str(bad.when) if bad is not None else "",
        "output": _output(reports) if bad is not None else "",
    }


def _good_outcome(skipped: pytest.TestReport | None, xpassed: pytest.TestReport | None) -> str:
    """pytest's own words: a skip under an xfail mark is 'xfailed' (it failed as expected)."""
    if skipped is not None:
        return "xfailed" if hasattr(skipped, "wasxfail") else "skipped"
    return "xpassed" if xpassed is not None else "passed"


def _no_message(outcome: str) -> str:
    return NO_BODY if outcome == "not run" else ""


def _skipped_module(report: pytest.CollectReport, nodeid: str) -> dict[str, Any]:
    where = report.longrepr if isinstance(report.longrepr, tuple) else (nodeid, None, "")
    _, line, reason = where
    return {
        "nodeid": nodeid,
        "outcome": "skipped",
        "attempt": 1,
        "duration": 0.0,
        "setup": 0.0,
        "worker": "main",
        "file": nodeid.split("::")[0],
        "line": None if line is None else line + 1,
        "message": str(reason).removeprefix("Skipped: "),
        "details": "",
        "phase": "collect",
        "output": "",
        "module": True,
    }


def _when(report: pytest.TestReport) -> str:
    return str(report.when)  # pytest's type omits xdist's "???" (a crashed worker)


def _outcome(report: pytest.TestReport) -> str:
    return str(report.outcome)  # pytest's type omits "rerun" (an attempt that is retried)


def _bad_outcome(report: pytest.TestReport) -> str:
    if _outcome(report) == "rerun":
        return "rerun"
    if _when(report) == "???":
        return "crashed"
    return "failed" if report.when == "call" else "error"


def _message(report: pytest.TestReport) -> str:
    if _when(report) == "???":
        node = getattr(report, "node", None)
        return f"worker {node.gateway.id if node else ''} crashed while running this test"
    if hasattr(report, "wasxfail") and not report.failed:  # its reason, as pytest's JUnit
        return str(report.wasxfail).removeprefix("reason: ")
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    crash = getattr(report.longrepr, "reprcrash", None)
    said = getattr(report, "netra_message", None) or (crash and str(crash.message))
    if said:
        first = said.splitlines()[0]
        return first.split("TestTimeout: ", 1)[-1]  # "timeout after 2s", without the class path
    return report.longreprtext.strip().splitlines()[-1] if report.longreprtext.strip() else ""


def _output(reports: list[pytest.TestReport]) -> str:
    # A later phase's report repeats the sections of the phases before it: keep each once.
    seen = dict.fromkeys((title, text) for r in reports for title, text in r.sections)
    sections = [f"--- {title} ---\n{text.rstrip()}" for title, text in seen if text.strip()]
    return "\n".join(sections)[-4000:]


def _without_worker_line(text: str) -> str:
    """xdist starts a worker's tracebacks with '[gw0] linux -- Python ...': noise here."""
    first, _, rest = text.partition("\n")
    return rest if first.startswith("[gw") else text
