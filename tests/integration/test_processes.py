"""ChildProcesses against real process trees."""

import subprocess
import sys
import time
from pathlib import Path

import psutil

from netra_runner.execution.processes import ChildProcesses, stop_tree


def gone(pid: int) -> bool:
    return not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_output_goes_to_the_log_and_the_exit_code_comes_back(tmp_path: Path) -> None:
    log = tmp_path / "out.log"
    with ChildProcesses() as children:
        code = children.run(
            [sys.executable, "-c", "print('hi'); raise SystemExit(7)"], tmp_path, {}, log
        )
    assert code == 7
    assert log.read_text() == "hi\n"


def test_leftovers_of_a_finished_child_are_stopped(tmp_path: Path) -> None:
    """A suite that exits but leaves a background process behind does not leak it."""
    script = "import subprocess; p = subprocess.Popen(['sleep', '600']); print(p.pid)"
    log = tmp_path / "out.log"
    with ChildProcesses() as children:
        assert children.run([sys.executable, "-c", script], tmp_path, {}, log) == 0
    assert gone(int(log.read_text()))


def test_stop_tree_escalates_past_ignored_signals(tmp_path: Path) -> None:
    script = (
        "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); "
        "signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(600)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, start_new_session=True
    )
    assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
    started = time.monotonic()
    stop_tree(proc)
    proc.stdout.close()
    assert proc.returncode == -9
    assert time.monotonic() - started < 15
