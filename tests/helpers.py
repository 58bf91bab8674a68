# mypy: disallow-untyped-calls=False
# (junitparser, used here to read reports back, is only partly annotated)
"""Helpers shared by unit and integration tests: run the real command, copy fixtures."""

from __future__ import annotations

import gc
import os
import shutil
import signal
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

from junitparser import JUnitXml

from netra_runner.results import (
    Attempt,
    CategoryResult,
    Outcome,
    RunResult,
    ServiceTiming,
    Status,
    TestResult,
)

FIXTURES = Path(__file__).parent / "fixtures"
JUNIT_XSD = Path(__file__).parent / "schemas" / "junit-10.xsd"


@dataclass
class Ran:
    code: int
    out: str
    err: str

    @property
    def last_line(self) -> str:
        return self.out.rstrip("\n").splitlines()[-1]


# The fixture projects need no third-party pytest plugin; the ones a machine happens to have
# (hypothesis, anyio, ...) cost up to 1.6 s in every pytest process these tests start.
# test_run.py covers a run with autoloading on.
def sigint_as_in_a_terminal() -> None:
    """For a child these tests send SIGINT to: a shell's background job (a CI script's)
    ignores it, and so would everything it starts."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


QUIET = {"NO_COLOR": "1", "COLUMNS": "200", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


def netra(cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120) -> Ran:
    """The real command, as a user runs it, in a child process."""
    full_env = {**os.environ, **QUIET, **(env or {})}
    done = subprocess.run(
        [sys.executable, "-m", "netra_runner", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    return Ran(done.returncode, done.stdout, done.stderr)


def copy_fixture(name: str, dest: Path) -> Path:
    target = dest / name
    shutil.copytree(FIXTURES / name, target)
    return target


def junit_properties(path: Path) -> dict[str, dict[str, str]]:
    """Each testsuite's <properties>, by suite name."""
    return {
        suite.name: {prop.name: prop.value for prop in suite.properties()}
        for suite in JUnitXml.fromfile(str(path))
    }


OFFLINE_IMAGES = ("netra-offline/postgres:15", "netra-offline/redis:7")


def docker_problem() -> str | None:
    """Why the Docker tests cannot run here, or None when they can."""
    import docker

    client = None
    try:
        client = docker.from_env()
        client.ping()
        missing = [image for image in OFFLINE_IMAGES if not client.images.list(name=image)]
    except Exception as exc:
        return f"no Docker engine answers ({type(exc).__name__})"
    finally:
        if client is not None:
            client.close()
        with warnings.catch_warnings():  # the SDK leaves a failed connection's socket open
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()
    if missing:
        return f"images {', '.join(missing)} missing: run netra-run images build"
    return None


def containers_of(project: Path) -> list[str]:
    """Names of the containers netra-run made for this project (all runs, kept ones too)."""
    import docker

    # sparse: names from the listing itself, as the backend lists them; inspecting each one
    # races with a run removing it
    found = docker.from_env().containers.list(
        all=True, sparse=True, filters={"label": _project_label(project)}
    )
    return sorted(c.attrs["Names"][0].lstrip("/") for c in found)


def networks_of(project: Path) -> list[str]:
    import docker

    found = docker.from_env().networks.list(filters={"label": _project_label(project)})
    return sorted(n.name for n in found)


def _project_label(project: Path) -> list[str]:
    from netra_runner.services.spec import LABEL_PROJECT

    return [f"{LABEL_PROJECT}={project_id(project)}"]


def project_id(project: Path) -> str:
    from netra_runner.services.spec import project_id

    return project_id(project / "categories.yaml")


def local_problem() -> str | None:
    """Why the local-backend tests cannot run here, or None when they can."""
    from netra_runner.errors import ServiceError
    from netra_runner.services.local.binaries import find_install
    from netra_runner.services.local.recipes import POSTGRES, REDIS

    try:
        for needs in (POSTGRES, REDIS):
            find_install(needs, None, "local.bin")
    except ServiceError as exc:
        return str(exc)
    return None


def local_folder(project: Path) -> Path:
    from netra_runner.services.local.state import state_root

    return state_root() / project_id(project)


def local_processes(project: Path) -> list[str]:
    """Processes running in, or naming, this project's local service folders."""
    import psutil

    folder = str(local_folder(project))
    found = []
    for process in psutil.process_iter(["pid", "cmdline", "cwd"]):
        cmdline = " ".join(process.info["cmdline"] or ())
        if folder in cmdline or (process.info["cwd"] or "").startswith(folder):
            found.append(f"{process.info['pid']} {cmdline}")
    return found


def local_instances(project: Path) -> list[str]:
    folder = local_folder(project)
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def leftovers(project: Path, backend: str) -> list[str]:
    """What a backend still holds for this project: containers and networks, or instance
    folders and processes (the project's empty folder counts too)."""
    if backend == "docker":
        return containers_of(project) + networks_of(project)
    folder = local_folder(project)
    return (
        local_instances(project)
        + local_processes(project)
        + ([str(folder)] if folder.exists() else [])
    )


def timed_run(tests_per_worker: int = 3, started_at: float = 1000.0) -> RunResult:
    """A run with services, two workers, a failure, a flaky pass and a skipped category."""
    tests = []
    for worker in ("gw0", "gw1"):
        for n in range(tests_per_worker):
            outcome = Outcome.FAILED if (worker, n) == ("gw1", 0) else Outcome.PASSED
            reruns = (Attempt("first try failed"),) if (worker, n) == ("gw0", 1) else ()
            tests.append(
                TestResult(
                    "websocket",
                    "tests.test_ws",
                    f"test_{worker}_{n}",
                    outcome,
                    0.5,
                    file="tests/test_ws.py",
                    line=10 + n,
                    message="boom" if outcome.is_bad else "",
                    details="Traceback\nE   boom" if outcome.is_bad else "",
                    output="x" * 10_000 if outcome.is_bad else "",
                    reruns=reruns,
                    worker=worker,
                    nodeid=f"tests/test_ws.py::test_{worker}_{n}",
                    started=started_at + 2.0 + n * 0.5,
                )
            )
    websocket = CategoryResult(
        "websocket", Status.FAILED, tuple(tests), 4.0, services=("postgres",), workers=2
    )
    e2e = CategoryResult("e2e", Status.SKIPPED, reason="depends on websocket, which ended failed")
    return RunResult(
        (websocket, e2e),
        6.0,
        services=(ServiceTiming("postgres", 1.5, False, started_at + 0.1),),
        started_at=started_at,
        service_logs={"postgres": "LOG:  database system is ready"},
    )


def free_port(host: str = "127.0.0.1") -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def wait_for_port(host: str, port: int, seconds: float = 10.0) -> None:
    """Until something accepts connections there (a server the test started itself)."""
    import socket
    import time

    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection((host, port), timeout=0.2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


PYTEST_DISTS = ("pytest", "pluggy", "iniconfig", "packaging", "pygments")
XDIST_DISTS = ("pytest-xdist", "execnet")


def bare_venv(dest: Path, dists: tuple[str, ...] = PYTEST_DISTS) -> Path:
    """A virtualenv without netra-run: only the named distributions, linked from this one
    (no network, no pip). Its python is dest/bin/python."""
    import importlib.metadata
    import sysconfig

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(dest)], check=True)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    site = dest / "lib" / version / "site-packages"
    installed = Path(sysconfig.get_paths()["purelib"])
    for name in dists:
        dist = importlib.metadata.distribution(name)
        base = Path(str(dist.locate_file("")))
        tops = {Path(str(f)).parts[0] for f in dist.files or () if not str(f).startswith("..")}
        for top in tops - {"__pycache__"}:
            if (base / top).exists() and not (site / top).exists():
                (site / top).symlink_to(base / top)
    assert not (site / "netra_runner").exists(), installed
    return dest / "bin" / "python"


# An external service (nothing to start) whose health check passes on a listening port,
# exporting REDIS_URL: services in a test project without Docker or binaries.
EXTERNAL_CACHE = """\
services:
  cache:
    external: {{ports: ["{port}:6379"]}}
    ports: [6379]
    healthcheck: {{tcp: 6379}}
    exports: {{REDIS_URL: "redis://{{host}}:{{port:6379}}/0"}}
"""


def kill_service(project: Path, backend: str, service: str) -> None:
    """What an OOM kill does to a service in the middle of a run: SIGKILL, no clean-up."""
    if backend == "docker":
        import docker

        label = _project_label(project)
        for container in docker.from_env().containers.list(filters={"label": label}):
            if container.labels.get("netra.service") == service:
                container.kill()
                return
        raise AssertionError(f"no running container of {service}")
    from netra_runner.services.local.state import Record

    for folder in local_folder(project).iterdir():
        record = Record.load(folder)
        if record is not None and record.service == service and record.pid:
            os.kill(record.pid, signal.SIGKILL)
            return
    raise AssertionError(f"no local server of {service}")


def timeline_kinds(page: Path) -> set[str]:
    """The kinds of bar an HTML report's timeline draws (from the data its script reads)."""
    import json
    import re

    found = re.search(r"<script type=application/json id=tl-data>(.*?)</script>", page.read_text())
    assert found is not None, "no timeline data in the page"
    data = json.loads(found.group(1))
    kinds = [kind[0] for kind in data["kinds"]]
    return {kinds[b[2]] for g in data["groups"] for lane in g["lanes"] for b in lane["bars"]}
