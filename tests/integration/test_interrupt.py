"""Ctrl-C and SIGTERM: the child tree is stopped, reports kept, exit 130."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from helpers import QUIET, junit_properties, sigint_as_in_a_terminal


def start(project: Path, pidfile: Path) -> subprocess.Popen[str]:
    env = {**os.environ, **QUIET, "NETRA_TEST_PIDFILE": str(pidfile)}
    return subprocess.Popen(
        [sys.executable, "-m", "netra_runner", "-c", "after_slow"],
        cwd=project,
        env=env,
        preexec_fn=sigint_as_in_a_terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(pidfile: Path, proc: subprocess.Popen[str]) -> list[int]:
    deadline = time.monotonic() + 60
    while not pidfile.exists() or not pidfile.read_text():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the hanging test never started"
        time.sleep(0.05)
    return [int(pid) for pid in pidfile.read_text().split()]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_stops_the_tree_and_keeps_reports(
    mixed: Path, tmp_path: Path, sig: signal.Signals
) -> None:
    pidfile = tmp_path / "pids"
    proc = start(mixed, pidfile)
    test_pid, sleeper_pid = wait_for(pidfile, proc)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, out + err
    for pid in (test_pid, sleeper_pid):
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    properties = junit_properties(mixed / "reports" / "junit.xml")
    statuses = {name: props["status"] for name, props in properties.items()}
    assert statuses == {"slow": "interrupted", "after_slow": "skipped"}
    assert "after_slow: not run: the run was interrupted" in out
