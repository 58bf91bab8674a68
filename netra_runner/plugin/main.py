"""The pytest plugin netra-run loads into every pytest process it starts: its hooks, and
the modules beside it that do the work.

It adds what pytest lacks, through its documented hooks:
- an event file (event_writer.py) of each collected set, collection error and test attempt;
- a worker's share of a category: claimed as it goes from a plan all workers compute alike
  (slicing.py);
- a per-test timeout that fails the test where it was stuck, and a watchdog outside Python
  for a test that does not stop at it (timeouts.py);
- reruns of failing tests; earlier failed attempts are reported with outcome "rerun";
- secrets masked and output capped in every report (containment.py);
- under --xdist (the escape hatch), the longest-first scheduler (xdist_scheduler.py).

It must stay light: it is imported by every test process.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _pytest.runner import runtestprotocol

from netra_runner.plugin import agreement as agreed
from netra_runner.plugin import worker_env
from netra_runner.plugin.agreement import WorkerEvent
from netra_runner.plugin.containment import Containment, masker
from netra_runner.plugin.coverage import per_test, test_context
from netra_runner.plugin.event_writer import EventWriter, WorkerStarts
from netra_runner.plugin.nodeids import base_of, first_ids, ids_in, rebase
from netra_runner.plugin.slicing import slicing_for
from netra_runner.plugin.timeouts import (
    HardTimeout,
    at_the_timeout,
    deadline,
    hard_limit,
    suite_timeout,
    timeouts,
    with_context,
)
from netra_runner.plugin.watchdog import Watchdog

# The plugin's options, as netra-run's side names them (agreement.py).
EVENTS, RETRIES, TIMEOUT = agreed.EVENTS.dest, agreed.RETRIES.dest, agreed.TIMEOUT.dest
DURATIONS, FLAGS = agreed.DURATIONS.dest, agreed.FLAGS.dest


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
        from netra_runner.plugin.coverage import start

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
        _note(events, WorkerEvent.CONFTEST_STARTED, where)
        try:
            return original(conftest, *args, **kwargs)
        except SystemExit:  # pytest would call it an internal error, naming no file
            _note(events, WorkerEvent.CONFTEST_EXITED, where)
            raise
        finally:
            _note(events, WorkerEvent.CONFTEST_FINISHED, where)

    manager._importconftest = importing  # type: ignore[method-assign,assignment]


def _note(events: Path, event: str, conftest: str) -> None:
    line = json.dumps(
        {"t": round(time.time(), 4), "event": event, "path": conftest, "pid": os.getpid()}
    )
    events.parent.mkdir(parents=True, exist_ok=True)
    with events.open("a", encoding="utf-8") as out:
        out.write(line + "\n")


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(Containment(masker()), "netra-containment")
    is_worker = hasattr(config, "workerinput")
    path = config.getoption(EVENTS)
    distributed = bool(getattr(config.option, "numprocesses", None))
    # Ids and files are named from where pytest was started (the project root), not from its
    # rootdir (a nested project's own config moves it): that is how they are passed back in.
    base = base_of(config)
    worker = config.workerinput["workerid"] if is_worker else "main"  # type: ignore[attr-defined]
    sliced = slicing_for(config, base)
    if path and is_worker:
        # Only a worker knows it is starting a test; the controller hears of it without a name.
        starts = WorkerStarts(Path(path), worker, base)
        config.pluginmanager.register(starts, "netra-worker-starts")
    elif path:
        writer = EventWriter(Path(path), base, starts=not distributed, sliced=sliced)
        config.pluginmanager.register(writer, "netra-events")
        if sliced is not None:
            sliced.emit = writer.emit
        if distributed and os.environ.get(agreed.WORKER_ENV):
            from netra_runner.plugin.replaced_workers import ReplacedWorkers

            replaced = ReplacedWorkers(writer.emit, Path(path))
            config.pluginmanager.register(replaced, "netra-replaced-workers")
    if path and (config.getoption(TIMEOUT) or 0) > 0 and (is_worker or not distributed):
        guard = HardTimeout(Watchdog(agreed.watchdog_file(Path(path), worker)), base)
        config.pluginmanager.register(guard, "netra-watchdog")
    if getattr(config.option, "numprocesses", None) and not is_worker:
        # -n is set: xdist is loaded, under whatever name ("xdist.plugin" without autoload).
        from netra_runner.plugin.xdist_scheduler import SchedulerPlugin

        config.pluginmanager.register(
            SchedulerPlugin(config.getoption(DURATIONS), base, first_ids(config, base)),
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    base = base_of(config)
    only = ids_in(config, agreed.ONLY, base)
    # An entry without `::` is a whole file (a test module a change selects as a whole).
    kept = [i for i in items if i.nodeid in only or i.nodeid.partition("::")[0] in only]
    if kept and len(kept) < len(items):
        # As pytest's --lf: the remembered failures that still exist; none: all of them.
        chosen = set(kept)
        config.hook.pytest_deselected(items=[item for item in items if item not in chosen])
        items[:] = kept
    first = first_ids(config, base)
    if first:
        items.sort(key=lambda item: item.nodeid not in first)  # stable: the rest keep order


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool:
    retries = item.config.getoption(RETRIES) or 0
    timeout, bound = timeouts(item.config.getoption(TIMEOUT) or 0, suite_timeout(item))
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    guard: HardTimeout | None = item.config.pluginmanager.get_plugin("netra-watchdog")
    label = rebase(item.nodeid, base_of(item.config)) if per_test() else ""
    for attempt in range(1, retries + 2):
        with deadline(timeout), hard_limit(guard, item.nodeid, bound), test_context(label):
            reports = runtestprotocol(item, nextitem=nextitem, log=False)
        if at_the_timeout:
            with_context(reports, at_the_timeout.pop())
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
