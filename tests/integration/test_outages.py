"""A service that dies mid-run: its tests' failures are the infrastructure's, on both
backends, with the real service killed by the harness part-way through the suite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import QUIET, kill_service, netra, timeline_kinds

CONFIG = """\
version: 1
services:
  postgres:
    image: netra-offline/postgres:15
    env: {POSTGRES_USER: app, POSTGRES_PASSWORD: pw-down-4417, POSTGRES_DB: app}
    command: [postgres, -c, fsync=off]
    tmpfs: [/var/lib/postgresql/data]
    ports: [5432]
    healthcheck: {exec: [pg_isready, -h, 127.0.0.1, -U, app, -d, app], interval: 0.2}
    exports: {DATABASE_URL: "postgresql://app:pw-down-4417@{host}:{port:5432}/app"}
categories:
  db:
    paths: [tests]
    services: [postgres]
    workers: 1  # the tests in their order: the outage comes after the first two
"""

TESTS = """\
import os
import time
from pathlib import Path

import psycopg
import pytest

SIGNAL = Path(os.environ["NETRA_TEST_MARKER"])


def query():
    with psycopg.connect(os.environ["DATABASE_URL"], connect_timeout=3) as conn:
        return conn.execute("SELECT 1").fetchone()


def test_0_before_the_outage():
    assert query() == (1,)


def test_1_a_failure_of_its_own_before_it():
    assert query() == (2,)


def test_2_the_service_dies_meanwhile():
    time.sleep(1.5)  # the outage comes a moment after the failure before it
    SIGNAL.write_text("kill it")
    deadline = time.monotonic() + 60
    while SIGNAL.read_text() != "killed" and time.monotonic() < deadline:
        time.sleep(0.05)
    query()


@pytest.mark.parametrize("n", range(5))
def test_3_after_it(n):
    time.sleep(0.5)
    query()
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "categories.yaml").write_text(CONFIG)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_db.py").write_text(TESTS)
    return tmp_path


def run_and_kill(project: Path, backend: str, *args: str) -> tuple[int, str]:
    marker = project / "marker"
    marker.write_text("")
    env = {**os.environ, **QUIET, "NETRA_TEST_MARKER": str(marker)}
    command = [sys.executable, "-m", "netra_runner", "--all", "--real-services", "--plain"]
    proc = subprocess.Popen(
        [*command, "--services", backend, *args],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 120
    while marker.read_text() != "kill it":
        assert proc.poll() is None, proc.communicate()[0]
        assert time.monotonic() < deadline, "the suite never reached the outage"
        time.sleep(0.05)
    kill_service(project, backend, "postgres")
    marker.write_text("killed")
    out, _ = proc.communicate(timeout=120)
    return proc.returncode, out


def outcomes(project: Path) -> dict[str, dict[str, object]]:
    report = json.loads((project / "reports" / "report.json").read_text())
    return {t["id"].rsplit("::", 1)[1]: t for t in report["categories"][0]["tests"]}


@pytest.mark.parametrize("retries", [0, 2])
def test_a_service_that_dies_mid_run_fails_its_tests_as_infrastructure(
    project: Path, backend: str, retries: int
) -> None:
    code, out = run_and_kill(project, backend, "--retries", str(retries))
    assert code == 3, out
    assert "DOWN        service postgres went down at" in out, out
    tests = outcomes(project)
    assert tests["test_0_before_the_outage"]["outcome"] == "passed"
    before = tests["test_1_a_failure_of_its_own_before_it"]
    assert before["outcome"] == "failed"  # before the outage: the test's own
    assert before["attempts"] == retries + 1  # and retried as a test failure is
    after = {name: t for name, t in tests.items() if name.startswith(("test_2", "test_3"))}
    assert after["test_2_the_service_dies_meanwhile"]["outcome"] == "infrastructure", after
    assert {t["outcome"] for t in after.values()} <= {"infrastructure", "not run"}, after
    attempts = {name: (t["outcome"], t["attempts"], t.get("message")) for name, t in after.items()}
    assert all(t["attempts"] == 1 for t in after.values()), attempts  # no retry spent on it
    assert "service postgres went down at" in str(after["test_2_the_service_dies_meanwhile"])
    report = json.loads((project / "reports" / "report.json").read_text())
    assert report["exit_code"] == 3
    assert not [t for t in tests.values() if t.get("flaky")]
    junit = (project / "reports" / "junit.xml").read_text()
    assert 'type="netra.infrastructure"' in junit
    summary = out[out.index("netra-run summary") :]
    assert "service postgres went down at" in summary
    assert "infrastructure failure" in out.splitlines()[-1], out.splitlines()[-1]
    (service,) = report["services"]
    assert service["down"] is not None and service["down_reason"], service
    assert {"down", "infrastructure"} <= timeline_kinds(project / "reports" / "report.html")


def test_a_service_restarted_on_failure_comes_back_and_its_failed_tests_pass_again(
    project: Path, backend: str
) -> None:
    config = project / "categories.yaml"
    config.write_text(
        config.read_text().replace(
            "    exports: {DATABASE_URL",
            "    restart: on-failure\n    restart_limit: 1\n    exports: {DATABASE_URL",
        )
    )
    tests = project / "tests" / "test_db.py"
    # Run again, the test that asked for the outage passes: it is past it.
    tests.write_text(tests.read_text().replace("def test_1_a", "def skip_1_a"))
    again = tests.read_text().replace(
        '    SIGNAL.write_text("kill it")',
        '    if SIGNAL.read_text() == "killed":\n'
        "        return query()\n"
        '    SIGNAL.write_text("kill it")',
    )
    tests.write_text(again)
    code, out = run_and_kill(project, backend)
    assert code == 0, out
    assert "RESTART     service postgres (restart 1)" in out, out
    assert "AGAIN       db:" in out, out
    results = outcomes(project)
    assert {t["outcome"] for t in results.values()} == {"passed"}, results
    again_ran = [name for name, t in results.items() if t.get("after_restart")]
    assert "test_2_the_service_dies_meanwhile" in again_ran, results
    assert not [t for t in results.values() if t.get("flaky")]
    assert "passed after a restart" in out.splitlines()[-1], out.splitlines()[-1]


HANGS = """\
import threading
import time


def test_hangs_with_a_helper_thread():
    threading.Thread(target=time.sleep, args=(30,), name="helper", daemon=True).start()
    time.sleep(30)
"""


def test_a_timeout_carries_the_other_threads_and_the_services_state(
    project: Path, backend: str
) -> None:
    config = project / "categories.yaml"
    config.write_text(config.read_text().replace("workers: 1", "workers: 1\n    timeout: 3"))
    (project / "tests" / "test_db.py").write_text(HANGS)
    ran = netra(project, "--all", "--real-services", "--services", backend, "--plain")
    assert ran.code == 1, ran.out + ran.err
    (test,) = outcomes(project).values()
    assert test["message"] == "timeout after 3s", test
    output = str(test["output"])
    assert "--- at the timeout ---" in output, test
    assert "thread helper:" in output, test
    assert "postgres: up at its last check" in output, test


@pytest.mark.local_services
def test_the_services_that_depend_on_one_that_went_down_restart_with_it(project: Path) -> None:
    config = project / "categories.yaml"
    text = config.read_text().replace(
        "    exports: {DATABASE_URL",
        "    restart: on-failure\n    exports: {DATABASE_URL",
    )
    text = text.replace(
        "categories:",
        "  front:  # what it runs names the database it was started with\n"
        "    image: netra-test/front:1\n"
        "    depends_on: [postgres]\n"
        "    ports: [8000]\n"
        "    local:\n"
        '      command: [sh, -c, \'echo "upstream $DATABASE_URL"; '
        "exec python3 -m http.server {port:8000} --bind {host}']\n"
        "    healthcheck: {http: {path: /}, interval: 0.1}\n"
        '    exports: {FRONT_URL: "http://{host}:{port:8000}/"}\n'
        "categories:",
    )
    config.write_text(text.replace("services: [postgres]", "services: [postgres, front]"))
    tests = project / "tests" / "test_db.py"
    source = tests.read_text().replace("def test_1_a", "def skip_1_a")
    tests.write_text(
        source.replace(
            '    SIGNAL.write_text("kill it")',
            '    if SIGNAL.read_text() == "killed":\n'
            "        return query()\n"
            '    SIGNAL.write_text("kill it")',
        )
    )
    code, out = run_and_kill(project, "local")
    assert code == 0, out
    assert "DOWN        service front went down at" in out, out
    assert "it depends on postgres, which went down" in out, out
    assert "RESTART     service front (restart 1)" in out, out
    assert {t["outcome"] for t in outcomes(project).values()} == {"passed"}


def test_an_isolated_service_that_dies_mid_run_still_ends_the_run_with_a_true_count(
    project: Path, backend: str
) -> None:
    """Copies and the isolation check talk to the service once the tests are done: a dead
    one must leave the check silent, never hang the run or lose its count."""
    config = project / "categories.yaml"
    config.write_text(
        config.read_text().replace(
            '    exports: {DATABASE_URL: "postgresql://app:pw-down-4417@{host}:{port:5432}/app"}\n',
            '    exports: {DATABASE_URL: "postgresql://app:pw-down-4417@{host}:{port:5432}/app"}\n'
            "    isolate: worker\n",
        )
    )
    code, out = run_and_kill(project, backend)
    assert code == 3, out
    assert "DOWN        service postgres went down at" in out, out
    assert "ISOLATION" not in out and "Traceback" not in out, out
    tests = outcomes(project)
    assert len(tests) == 8 and tests["test_0_before_the_outage"]["outcome"] == "passed"
