"""What tests do to the run, contained: hangs bounded from outside the test, no process
outliving the run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from helpers import QUIET, netra

from netra_runner.execution.cgroups import own_cgroup
from netra_runner.execution.marks import Mark, marked

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
    failed = {
        t["id"]: t for c in data["categories"] for t in c["tests"] if t["outcome"] == "failed"
    }
    assert set(failed) == {
        "tests/test_it.py::test_blocks_the_timeout_signal",
        "tests/test_it.py::test_holds_the_gil_in_c_with_signals_blocked",
    }
    stream = (root / "reports" / "events.ndjson").read_text().splitlines()
    events = [json.loads(line) for line in stream]
    started = {e["nodeid"]: e["t"] for e in events if e["event"] == "test_started"}
    for nodeid, test in failed.items():
        assert test["message"].startswith("timeout after 2s: the test did not stop at its timeout")
        finished = next(
            e["t"] for e in events if e["event"] == "test_finished" and e["nodeid"] == nodeid
        )
        assert finished - started[nodeid] <= 2 + 5  # the bound: timeout + 5 s
        assert (
            f"line {12 if 'timeout_signal' in nodeid else 17} in {nodeid.split('::')[1]}"
            in test["details"]
        )


DAEMON = """\
import subprocess
import sys

FORK = "import os, subprocess\\nif os.fork() == 0:\\n    os.setsid()\\n    subprocess.Popen(['sleep', '300'])\\n    os._exit(0)\\n"


def test_starts_a_daemon_that_leaves_the_tree():
    subprocess.run([sys.executable, "-c", FORK], check=True)
"""

SLOW = """\
import time


def test_slow():
    time.sleep(60)
"""


def marked_processes(root: Path) -> list[str]:
    project = Mark.new(root / "categories.yaml").project
    return [f"{p.pid} {p.name()}" for p in marked(lambda m: m.project == project)]


def test_a_double_forked_daemon_does_not_outlive_the_run(tmp_path: Path) -> None:
    root = project(tmp_path, DAEMON)
    ran = netra(root, "-c", "t", "-n", "1")
    assert ran.code == 0, ran.out
    assert marked_processes(root) == []


def test_the_next_run_stops_what_a_killed_run_left(tmp_path: Path) -> None:
    """SIGKILL of netra-run's whole process group: pytest, in a session of its own, goes on
    running; the project's next run stops it."""
    root = project(tmp_path, SLOW)
    env = {**os.environ, **QUIET}
    killed = subprocess.Popen(
        [sys.executable, "-m", "netra_runner", "-c", "t", "-n", "2"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    events = root / "reports" / "events.ndjson"  # the run's: its processes' events, forwarded
    deadline = time.monotonic() + 60
    while '"test_started"' not in (events.read_text() if events.exists() else ""):
        assert time.monotonic() < deadline, "the test never started"
        time.sleep(0.1)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    assert marked_processes(root), "pytest should outlive a SIGKILL of netra-run's group"
    (root / "tests" / "test_it.py").write_text("def test_quick():\n    pass\n")
    assert netra(root, "-c", "t", "-n", "1").code == 0
    assert marked_processes(root) == []


LEAKS = """\
import os
import sys


def test_prints_and_raises_with_every_secret():
    url, token = os.environ["DATABASE_URL"], os.environ["API_TOKEN"]
    print("connecting to", url, "with", token)
    print("token on stderr:", token, file=sys.stderr)
    assert token == url, f"{url} refused {token}"


def test_fails_in_setup(bad_fixture):
    pass


import pytest


@pytest.fixture
def bad_fixture():
    raise RuntimeError("setup saw " + os.environ["API_TOKEN"])


@pytest.mark.skip(reason="skipped with " + os.environ.get("API_TOKEN", ""))
def test_skipped():
    pass
"""
SECRETS = ("hunter2-db-password", "tok-sekrit-123")


@pytest.mark.parametrize("workers", ["1", "2"])
def test_no_secret_reaches_the_console_or_any_file(tmp_path: Path, workers: str) -> None:
    root = project(tmp_path, LEAKS)
    (root / "categories.yaml").write_text(
        "version: 1\ncategories:\n  t:\n    paths: [tests]\n    env:\n"
        f"      DATABASE_URL: postgresql://app:{SECRETS[0]}@127.0.0.1:5432/app\n"
        f"      API_TOKEN: {SECRETS[1]}\n"
    )
    ran = netra(root, "-c", "t", "-n", workers, "-v")
    assert ran.code == 1
    assert "postgresql://app:******@127.0.0.1:5432/app refused ******" in ran.out
    for secret in SECRETS:
        assert secret not in ran.out + ran.err
        for file in (root / "reports").rglob("*"):
            if file.is_file():
                assert secret not in file.read_text(errors="replace"), file
    log = root / "reports" / "categories" / "t" / "output.log"
    assert log.stat().st_mode & 0o077 == 0  # the owner's only


FLOOD = """\
import sys


def test_floods_then_fails():
    line = "x" * 1023 + "\\n"
    for _ in range(200 * 1024):
        sys.stdout.write(line)
    assert False, "after 200 MB"
"""
PEAKS = """\
import resource, runpy, sys
sys.argv = ["netra-run", *sys.argv[1:]]
try:
    runpy.run_module("netra_runner", run_name="__main__")
finally:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    print(f"peaks {own} {child}", file=sys.stderr)
"""


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_200_mb_flood_leaves_bounded_files_and_memory(tmp_path: Path, workers: str) -> None:
    root = project(tmp_path, FLOOD)
    (tmp_path / "peaks.py").write_text(PEAKS)
    done = subprocess.run(
        [sys.executable, str(tmp_path / "peaks.py"), "-c", "t", "-n", workers],
        cwd=root,
        env={**os.environ, **QUIET},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    own, child = (int(n) for n in done.stderr.rsplit("peaks ", 1)[1].split())
    assert own < 150 and child < 150, (own, child)  # megabytes, for 200 MB of output
    for file in (root / "reports").rglob("*"):
        if file.is_file():
            assert file.stat().st_size < 4 * 2**20, file
    log = (root / "reports" / "categories" / "t" / "output.log").read_text()
    assert " dropped by netra-run ...]" in log


@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.parametrize("where", ["tests/conftest.py", "tests/sub/conftest.py"])
@pytest.mark.parametrize("exit_call", ["import sys; sys.exit(3)", "import os; os._exit(7)"])
def test_a_conftest_that_exits_at_import_is_named(
    tmp_path: Path, workers: str, where: str, exit_call: str
) -> None:
    root = project(tmp_path, "def test_b():\n    pass\n")
    (root / "tests" / "sub").mkdir()
    (root / "tests" / "sub" / "test_a.py").write_text("def test_a():\n    pass\n")
    (root / where).write_text(exit_call + "\n")
    ran = netra(root, "-c", "t", "-n", workers)
    assert ran.code == 1, ran.out
    data = json.loads((root / "reports" / "report.json").read_text())
    reason = data["categories"][0]["reason"]
    assert reason.startswith(f"{where} ended its pytest process while being imported"), reason


LEAKS_BY_NAME = """\
import os

import pytest

PW = os.environ["API_TOKEN"]


@pytest.mark.parametrize("value", [PW, "plain"])
def test_by_id(value, record_property):
    record_property("token", PW)
    assert value == "plain", "pw_" + PW + "x and under_" + PW


def test_cut_short():
    shown = repr(PW + "-and-more-to-make-it-long")
    raise ValueError(f"input_value={shown[:12]}...{shown[-8:]}")
"""
NAMED_SECRET = "tok-sekrit-456"


def test_a_secret_in_a_test_id_or_glued_or_cut_short_is_masked_everywhere(
    tmp_path: Path,
) -> None:
    root = project(tmp_path, LEAKS_BY_NAME)
    (root / "categories.yaml").write_text(
        "version: 1\ncategories:\n  t:\n    paths: [tests]\n    env:\n"
        f"      API_TOKEN: {NAMED_SECRET}\n"
        "  cmd:\n"
        f"    command: [python, -c, \"open('out.xml', 'w').write('<testsuite><testcase "
        f"classname=\\\\'c\\\\' name=\\\\'case_{NAMED_SECRET}\\\\'/></testsuite>')\"]\n"
        "    junit: out.xml\n"
        f"    env: {{API_TOKEN: {NAMED_SECRET}}}\n"
    )
    ran = netra(root, "--all", "-n", "1", "-v")
    assert ran.code == 1, ran.out + ran.err
    assert "pw_******x and under_******" in ran.out
    assert "test_by_id[******]" in ran.out
    places = [root / "reports", root / ".netra"]
    files = [f for place in places for f in place.rglob("*") if f.is_file()]
    assert any(f.name == "durations.json" for f in files)
    for text in (ran.out, ran.err, *(f.read_text(errors="replace") for f in files)):
        assert NAMED_SECRET not in text
        assert NAMED_SECRET[:9] not in text  # cut short, as pydantic shows a long value


ESCAPES = """\
import subprocess
from pathlib import Path


def test_starts_a_child_that_drops_every_tie():
    # a clean environment (no mark) and a session of its own (no process group)
    child = subprocess.Popen(
        ["sleep", "3333"], env={"PATH": "/usr/bin:/bin"}, start_new_session=True
    )
    Path("escaped.pid").write_text(str(child.pid))
"""


@pytest.mark.skipif(own_cgroup() is None, reason="no cgroup v2 hierarchy netra-run may use here")
@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_child_with_a_clean_environment_in_its_own_session_is_stopped(
    tmp_path: Path, workers: str
) -> None:
    root = project(tmp_path, ESCAPES)
    ran = netra(root, "-c", "t", "-n", workers)
    assert ran.code == 0, ran.out + ran.err
    pid = int((root / "escaped.pid").read_text())
    deadline = time.monotonic() + 10
    while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, f"sleep 3333 ({pid}) outlived the run"
        time.sleep(0.1)
    base = own_cgroup()
    assert base is not None
    left = [d.name for d in base.glob("netra-run-*")]
    assert all(psutil.pid_exists(int(name.split("-")[-1])) for name in left), left  # removed


def test_cgroups_can_be_turned_off_and_the_mark_still_contains(tmp_path: Path) -> None:
    root = project(tmp_path, DAEMON)
    ran = netra(root, "-c", "t", "-n", "1", env={"NETRA_CGROUPS": "0"})
    assert ran.code == 0, ran.out
    assert marked_processes(root) == []
