"""What tests do to the run, contained: hangs bounded from outside the test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import netra

HANGS = """\
import ctypes
import signal
import time


def test_before():
    pass


def test_blocks_the_timeout_signal():
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    time.sleep(60)


def test_holds_the_gil_in_c_with_signals_blocked():
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    ctypes.PyDLL(None).sleep(60)  # PyDLL keeps the GIL: no Python thread can run either


def test_after():
    pass
"""


def project(tmp_path: Path, tests: str) -> Path:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_it.py").write_text(tests)
    (tmp_path / "categories.yaml").write_text("version: 1\ncategories:\n  t: {paths: [tests]}\n")
    return tmp_path


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_test_that_ignores_its_timeout_is_ended_from_outside(
    tmp_path: Path, workers: str
) -> None:
    root = project(tmp_path, HANGS)
    # Unbounded, each hang would take 60 s: the command's own limit is the bound under test.
    ran = netra(root, "-c", "t", "--timeout", "2", "-n", workers, timeout=45)
    assert ran.code == 1, ran.out
    assert ran.last_line.startswith("netra-run: 2 passed, 2 failed, 0 skipped in ")
    data = json.loads((root / "reports" / "report.json").read_text())
    failed = {t["id"]: t for c in data["categories"] for t in c["tests"] if t["outcome"] == "failed"}
    assert set(failed) == {
        "tests/test_it.py::test_blocks_the_timeout_signal",
        "tests/test_it.py::test_holds_the_gil_in_c_with_signals_blocked",
    }
    for nodeid, test in failed.items():
        assert test["message"].startswith("timeout after 2s: the test did not stop at its timeout")
        assert f"line {12 if 'timeout_signal' in nodeid else 17} in {nodeid.split('::')[1]}" in test["details"]
