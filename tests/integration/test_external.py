"""Services someone else runs: checked and exported, never started, stopped or reaped."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import free_port, netra, wait_for_port

pytestmark = pytest.mark.local_services

CONFIG = """\
version: 1
services:
  redis:
    image: redis:7-alpine
    ports: [6379]
    healthcheck: {tcp: 6379}
    exports: {REDIS_URL: "redis://{host}:{port:6379}/0"}
profiles:
  ci:
    services:
      redis:
        external: {host: 127.0.0.1, ports: ["{env:CI_REDIS_PORT}:6379"]}
categories:
  cache:
    paths: [tests]
    services: [redis]
"""

TEST = """\
import os

import redis


def test_the_external_redis_answers():
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.set("k", "v")
    assert client.get("k") == b"v"
    client.close()
"""


@pytest.fixture
def someone_elses_redis() -> Iterator[int]:
    server = shutil.which("redis-server")
    assert server, "redis-server is needed (NETRA_REQUIRE_LOCAL makes it required in CI)"
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port("127.0.0.1", port)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_an_external_service_is_used_and_left_running(
    tmp_path: Path, someone_elses_redis: int
) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_cache.py").write_text(TEST)
    (tmp_path / "categories.yaml").write_text(CONFIG)
    env = {"CI_REDIS_PORT": str(someone_elses_redis)}
    ran = netra(tmp_path, "-c", "cache", "--real-services", "--profile", "ci", env=env)
    assert ran.code == 0, ran.out + ran.err
    assert "service redis is external (127.0.0.1)" in ran.out
    assert ran.last_line.startswith("netra-run: 1 passed")
    up = netra(tmp_path, "--profile", "ci", "services", "up", env=env)  # checked, not started
    assert up.code == 0 and f"REDIS_URL=redis://127.0.0.1:{someone_elses_redis}/0" in up.out
    netra(tmp_path, "services", "down", env=env)
    with socket.create_connection(("127.0.0.1", someone_elses_redis), timeout=2) as conn:
        conn.sendall(b"PING\r\n")
        assert conn.recv(16).startswith(b"+PONG")  # still running: nobody stopped it
    unset = netra(tmp_path, "-c", "cache", "--real-services", "--profile", "ci")
    assert (
        unset.code == 3 and "CI_REDIS_PORT is not set in the environment" in unset.out + unset.err
    )
