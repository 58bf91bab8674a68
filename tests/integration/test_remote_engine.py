"""An engine that is not on this host's socket: reached over TCP (GitLab's docker:dind, a
remote engine). Here a socat proxy on another loopback address stands in for it."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import free_port, leftovers, netra, wait_for_port

pytestmark = pytest.mark.docker
ADDRESS = "127.0.0.3"


@pytest.fixture
def engine_over_tcp() -> Iterator[str]:
    socat = shutil.which("socat")
    assert socat, "socat is needed (.ci/run installs it)"
    sock = engine_socket()
    port = free_port(ADDRESS)
    proxy = subprocess.Popen(
        [socat, f"TCP-LISTEN:{port},bind={ADDRESS},reuseaddr,fork", f"UNIX-CONNECT:{sock}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(ADDRESS, port)
        yield f"tcp://{ADDRESS}:{port}"
    finally:
        proxy.terminate()
        proxy.wait(timeout=10)


def engine_socket() -> str:
    given = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    assert given.startswith("unix://"), "the test proxies the engine's own socket"
    return given.removeprefix("unix://")


def test_services_are_published_and_exported_at_the_engines_address(
    services_project: Path, engine_over_tcp: str
) -> None:
    env = {"DOCKER_HOST": engine_over_tcp}
    ran = netra(services_project, "-c", "cache", "--real-services", "--services", "docker", env=env)
    assert ran.code == 0, ran.out + ran.err  # the test reached redis through its export
    try:
        up = netra(services_project, "services", "up", "redis", "--services", "docker", env=env)
        assert up.code == 0, up.out + up.err
        assert f"REDIS_URL=redis://{ADDRESS}:" in up.out
        pinned = netra(
            services_project,
            "services",
            "up",
            "redis",
            "--services",
            "docker",
            env={**env, "NETRA_SERVICE_HOST": "localhost"},
        )
        assert "REDIS_URL=redis://localhost:" in pinned.out  # the override wins
    finally:
        netra(services_project, "services", "down", "--services", "docker", env=env)
    assert leftovers(services_project, "docker") == []
