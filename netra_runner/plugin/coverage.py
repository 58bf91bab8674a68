"""Inside a pytest process: start coverage.py before the conftests are imported, save its
data file when the process ends. Started by the plugin when NETRA_COVERAGE is set, so it
imports nothing but the standard library until it knows it measures."""

from __future__ import annotations

import atexit
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from netra_runner.plugin import agreement as agreed

VARIABLE = agreed.COVERAGE
_measuring: list[Any] = []  # this process's Coverage, when tests get contexts of their own
NOT_MEASURED = "not-measured.txt"  # in the data folder: why a process was not measured
DATA_PREFIX = ".coverage"  # coverage.py's data files: .coverage.<host>.<pid>.<random>


def start(known_args: Any, spec_text: str) -> None:
    """Measure this process, or say in the data folder why it is not measured."""
    if getattr(known_args, "cov_source", None):
        # pytest-cov was asked too (the suite's addopts): two tracers would split the data,
        # and its xdist controller would wait for workers' data it never gets. --no-cov is
        # its own off switch; netra-run's measurement covers the same ground.
        known_args.no_cov = True
    if getattr(known_args, "numprocesses", None) and not os.environ.get("PYTEST_XDIST_WORKER"):
        return  # the xdist controller runs no test: its workers are measured
    spec = json.loads(spec_text)
    folder = Path(spec["data"])
    try:
        import coverage
    except ImportError as exc:
        _note(
            folder, f"coverage.py cannot be imported in its interpreter ({sys.executable}): {exc}"
        )
        return
    if coverage.Coverage.current() is not None:  # two tracers would split the data
        reason = "coverage.py already measures it (coverage run, or [run] patch): its data"
        _note(folder, f"{reason} goes where that measurement says, not into this total")
        return
    cov = coverage.Coverage(
        data_file=str(folder / DATA_PREFIX),
        data_suffix=True,
        source=spec.get("source") or None,
        context=spec.get("context"),
        config_file=spec.get("config") or False,
    )
    # Shards on other checkouts combine; a suite in a folder of its own records full paths,
    # which netra-run's combine (from the project root) shows relative to the root.
    cov.set_option("run:relative_files", spec.get("relative", True))
    cov.set_option("run:sigterm", True)  # a process stopped by netra-run keeps its data
    if _sysmon_fits(cov):
        cov.set_option("run:core", "sysmon")
    folder.mkdir(parents=True, exist_ok=True)
    cov.start()
    atexit.register(_saver(cov))
    if not cov.get_option("run:dynamic_context"):  # the project's own contexts win
        _measuring.append(cov)


def per_test() -> bool:
    return bool(_measuring)


@contextmanager
def test_context(nodeid: str) -> Iterator[None]:
    """What a test runs is recorded under its id (`category|tests/x.py::test_y`): the
    per-test map --changed selects by (cover/touches.py)."""
    cov = _measuring[0] if _measuring and nodeid else None
    if cov is None:
        yield
        return
    try:
        cov.switch_context(nodeid)
    except Exception:  # a core that cannot switch contexts: measured, not per test
        _measuring.clear()
        yield
        return
    try:
        yield
    finally:
        cov.switch_context("")


def _saver(cov: Any) -> Any:
    saved: list[bool] = []

    def save() -> None:
        if not saved:
            saved.append(True)
            cov.stop()
            cov.save()

    return save


def _sysmon_fits(cov: Any) -> bool:
    """sys.monitoring (3.12+) costs a fraction of a tracer's time; where coverage.py could
    not use it (branches before 3.14, per-test contexts) it is not asked for, as it would
    warn in every process. A core the project chose is kept."""
    if os.environ.get("COVERAGE_CORE") or cov.get_option("run:core"):
        return False
    if not hasattr(sys, "monitoring") or cov.get_option("run:dynamic_context"):  # 3.12+
        return False
    if cov.get_option("run:branch") and sys.version_info < (3, 14):
        return False
    concurrency = set(cov.get_option("run:concurrency") or ())
    return not concurrency & {"greenlet", "eventlet", "gevent"}


def _note(folder: Path, reason: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / NOT_MEASURED).write_text(reason + "\n", encoding="utf-8")
