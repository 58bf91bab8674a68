# mypy: disallow-untyped-calls=False
"""Services on both backends (a real Docker engine, and local processes): exports, health,
failures, signals, reaping, reuse. Each test runs once per backend, so they behave alike."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
from helpers import QUIET, Ran, leftovers, netra, sigint_as_in_a_terminal
from junitparser import JUnitXml

SECRET = "pw-Zq81-never-shown"


def real(project: Path, backend: str, *args: str, **kwargs: object) -> Ran:
    return netra(project, "--real-services", "--services", backend, *args, **kwargs)  # type: ignore[arg-type]


def start(
    project: Path, backend: str, *args: str, marker: Path | None = None
) -> subprocess.Popen[str]:
    env = {**os.environ, **QUIET, "NETRA_TEST_MARKER": str(marker or project / "marker")}
    return subprocess.Popen(
        [sys.executable, "-m", "netra_runner", "--real-services", "--services", backend, *args],
        cwd=project,
        env=env,
        preexec_fn=sigint_as_in_a_terminal,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until(condition: object, proc: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():  # type: ignore[operator]
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_real_postgres_and_redis_through_their_exports(
    services_project: Path, backend: str
) -> None:
    ran = real(services_project, backend, "-c", "db")
    assert ran.code == 0, ran.out + ran.err
    assert ran.last_line.startswith("netra-run: 2 passed, 0 failed")
    assert "service postgres healthy in" in ran.out and "service redis healthy in" in ran.out
    assert leftovers(services_project, backend) == []


@pytest.mark.parametrize("category", ["cache_tcp", "cache_log"])
def test_tcp_and_log_probes(services_project: Path, backend: str, category: str) -> None:
    ran = real(services_project, backend, "-c", category)
    assert ran.code == 0, ran.out + ran.err


def test_service_free_category_starts_before_services_are_healthy(
    services_project: Path, backend: str
) -> None:
    ran = real(services_project, backend, "-c", "free", "-c", "db")
    assert ran.code == 0, ran.out + ran.err
    lines = ran.out.splitlines()

    def first(prefix: str) -> int:
        return min(i for i, line in enumerate(lines) if line.startswith(prefix))

    assert first("START       free") < first("service postgres healthy") < first("START       db")


def test_a_service_that_never_becomes_healthy(services_project: Path, backend: str) -> None:
    ran = real(services_project, backend, "-c", "bad_health")
    assert ran.code == 3
    assert "service never_healthy did not become healthy in" in ran.out
    assert "(exec: sh -c 'echo not yet; exit 1')" in ran.out
    assert "probe history:" in ran.out and "exit 1: not yet" in ran.out
    assert (
        "last 50 log lines of never_healthy:" in ran.out
        and "Ready to accept connections" in ran.out
    )
    assert "hint: check services.never_healthy" in ran.out
    assert "bad_health: not run: service never_healthy failed" in ran.out
    assert leftovers(services_project, backend) == []


def test_a_service_that_exits_at_once(services_project: Path, backend: str) -> None:
    ran = real(services_project, backend, "-c", "bad_exit")
    assert ran.code == 3
    assert "service exits exited with code 7 while starting" in ran.out
    assert "boom from the service" in ran.out
    assert leftovers(services_project, backend) == []


def test_a_pinned_port_that_is_taken(services_project: Path, backend: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = services_project / "categories.yaml"
        config.write_text(config.read_text().replace("ports: [6379]", f"ports: ['{port}:6379']"))
        ran = real(services_project, backend, "-c", "cache")
    assert ran.code == 3
    assert "service redis could not start" in ran.out + ran.err
    assert str(port) in ran.out + ran.err
    assert leftovers(services_project, backend) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_during_start_up(services_project: Path, backend: str, sig: signal.Signals) -> None:
    proc = start(services_project, backend, "-c", "starting")
    wait_until(lambda: leftovers(services_project, backend), proc, "the service")
    time.sleep(0.3)  # into the health wait
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, out + err
    assert leftovers(services_project, backend) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_during_tests(services_project: Path, backend: str, sig: signal.Signals) -> None:
    marker = services_project / "marker"
    proc = start(services_project, backend, "-c", "slow_cache", marker=marker)
    wait_until(marker.exists, proc, "the test to start")
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, out + err
    assert "INTERRUPTED slow_cache" in out
    assert leftovers(services_project, backend) == []


@contextlib.contextmanager
def bystander(backend: str) -> Iterator[Callable[[], bool]]:
    """Something netra-run did not start, which it must leave alone."""
    if backend == "docker":
        import docker

        container = docker.from_env().containers.create(
            "netra-offline/redis:7", name=f"test-bystander-{os.getpid()}"
        )
        try:
            yield lambda: (container.reload(), container.status)[1] == "created"
        finally:
            container.remove(force=True)
        return
    process = subprocess.Popen(["sleep", "600"], start_new_session=True)
    try:
        yield lambda: process.poll() is None
    finally:
        process.kill()
        process.wait()


def test_after_sigkill_the_next_run_reaps_and_touches_nothing_else(
    services_project: Path, backend: str
) -> None:
    with bystander(backend) as untouched:
        try:
            marker = services_project / "marker"
            proc = start(services_project, backend, "-c", "slow_cache", marker=marker)
            wait_until(marker.exists, proc, "the test to start")
            proc.kill()
            proc.communicate()
            left = leftovers(services_project, backend)
            assert left, "a SIGKILLed run leaves its services behind"
            ran = real(services_project, backend, "-c", "cache")
            assert ran.code == 0, ran.out + ran.err
            assert "removed 1 services left by runs that died: netra-" in ran.out
            assert leftovers(services_project, backend) == []
            assert untouched()
        finally:
            _kill_processes_under(services_project)  # the killed run's pytest, orphaned by design


def _kill_processes_under(folder: Path) -> None:
    for process in psutil.process_iter(["cmdline"]):
        if any(str(folder) in part for part in process.info["cmdline"] or ()):
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()


def test_two_runs_at_once_do_not_collide(services_project: Path, backend: str) -> None:
    # Services must not collide; reports are per folder, so each run gets its own.
    first = start(services_project, backend, "-c", "db", "--reports-dir", "reports-1")
    second = start(services_project, backend, "-c", "db", "--reports-dir", "reports-2")
    for proc in (first, second):
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, out + err
    assert leftovers(services_project, backend) == []


def test_kept_services_are_reused_and_recreated_when_changed(
    services_project: Path, backend: str
) -> None:
    try:
        up = netra(services_project, "services", "up", "redis", "--services", backend)
        assert up.code == 0, up.out + up.err
        kept = leftovers(services_project, backend)
        reused = real(services_project, backend, "-c", "cache")
        assert reused.code == 0, reused.out + reused.err
        assert "service redis healthy in" in reused.out and "(reused)" in reused.out
        assert leftovers(services_project, backend) == kept
        config = services_project / "categories.yaml"
        config.write_text(
            config.read_text().replace(
                '--appendonly, "no"]', '--appendonly, "no", --databases, "4"]'
            )
        )
        changed = real(services_project, backend, "-c", "cache", "--keep-services")
        assert changed.code == 0, changed.out + changed.err
        assert "(reused)" not in changed.out
        status = netra(services_project, "services", "status", "--services", backend)
        assert "current" in status.out and "changed since started" not in status.out
        assert backend in status.out
    finally:
        down = netra(services_project, "services", "down", "--services", backend)
    assert down.code == 0 and "removed 1 kept services" in down.out
    assert leftovers(services_project, backend) == []


def test_services_logs_and_status(services_project: Path, backend: str) -> None:
    try:
        up = netra(services_project, "services", "up", "postgres", "--services", backend)
        assert up.code == 0, up.out + up.err
        assert "DATABASE_URL=postgresql://netra:******@127.0.0.1:" in up.out
        logs = netra(services_project, "--services", backend, "services", "logs", "postgres")
        assert "database system is ready to accept connections" in logs.out
        unknown = netra(services_project, "services", "logs", "postgress")
        assert unknown.code == 2 and "did you mean 'postgres'" in unknown.err
        status = netra(services_project, "services", "status")  # auto: both backends
        assert "postgres" in status.out and backend in status.out
        # piped at 80 columns (rich's default): rows stay whole, an id is never folded
        narrow = netra(services_project, "services", "status", env={"COLUMNS": ""})
        [row] = [line for line in narrow.out.splitlines() if line.strip().startswith("postgres")]
        assert "current" in row and "127.0.0.1:" in row
        wide_logs = netra(services_project, "services", "logs", "postgres", env={"COLUMNS": "40"})
        assert "database system is ready to accept connections" in wide_logs.out
    finally:
        netra(services_project, "services", "down")
    assert leftovers(services_project, backend) == []


def test_secrets_never_appear_in_output_or_reports(services_project: Path, backend: str) -> None:
    failed = real(services_project, backend, "-c", "bad_health", "-c", "db")
    passed = real(services_project, backend, "-c", "db")
    # a test that prints the exported URL and the bare password, and fails with both
    leaked = real(services_project, backend, "-c", "leaks", "--reports-dir", "reports/leaks")
    assert (failed.code, passed.code, leaked.code) == (3, 0, 1), passed.out + passed.err
    assert "has password ******" in leaked.out
    for ran in (failed, passed, leaked):
        assert SECRET not in ran.out + ran.err
    for report in (services_project / "reports").rglob("*"):
        if report.is_file():
            assert SECRET not in report.read_text(errors="replace"), report


def test_a_failing_test_in_a_service_category_carries_the_services_log(
    services_project: Path, backend: str
) -> None:
    ran = real(services_project, backend, "-c", "cache_fails")
    assert ran.code == 1, ran.out + ran.err
    [suite] = JUnitXml.fromfile(str(services_project / "reports" / "junit.xml"))
    [case] = list(suite)
    assert case.system_err.startswith("--- service redis (last lines) ---\n")
    assert "Ready to accept connections" in case.system_err
    assert {p.name: p.value for p in suite.properties()}["services"] == "redis"


def test_a_shard_starts_only_the_services_its_own_tests_need(
    services_project: Path, backend: str
) -> None:
    outputs = []
    for k in (1, 2):
        ran = real(services_project, backend, "-c", "free", "-c", "cache", "--shard", f"{k}/2")
        assert ran.code == 0, ran.out + ran.err
        outputs.append(ran.out)
    assert sum("service redis starting" in out for out in outputs) == 1
    assert sum("START       free" in out for out in outputs) == 1
    assert leftovers(services_project, backend) == []


def test_a_failing_set_up_is_no_outage_and_leaves_no_watcher_traceback(
    services_project: Path, backend: str
) -> None:
    """The set-up fails while its category runs (the category starts once the service is
    healthy); the service is removed, and the watcher must not take that for an outage."""
    config = services_project / "categories.yaml"
    failing = (
        '    setup: [[python, -c, "import time; time.sleep(2); '
        "raise SystemExit('migration failed')\"]]\n"
    )
    text = config.read_text().replace(
        '      DATABASE_URL: "postgresql://netra:pw-Zq81-never-shown@{host}:{port:5432}/netra_test"\n',
        '      DATABASE_URL: "postgresql://netra:pw-Zq81-never-shown@{host}:{port:5432}/netra_test"\n'
        + failing,
        1,
    )
    assert failing in text
    config.write_text(text)
    for _ in range(2):
        ran = real(services_project, backend, "-c", "db", "--plain")
        assert ran.code == 3, ran.out + ran.err
        shown = ran.out + ran.err
        assert "migration failed" in shown
        for wrong in ("Traceback", "Exception in thread", "DOWN", "went down", "postgres 0.0s"):
            assert wrong not in shown, shown
    assert leftovers(services_project, backend) == []
