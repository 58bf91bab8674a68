"""Fixtures shared by unit and integration tests."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import copy_fixture, docker_problem, local_problem

NEEDS = {  # marker: (what is missing, or None; the variable that turns a skip into an error)
    "docker": (docker_problem, "NETRA_REQUIRE_DOCKER"),
    "local_services": (local_problem, "NETRA_REQUIRE_LOCAL"),
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked docker need an engine and the offline images, local_services the server
    binaries; say so when they are absent (CI makes that an error)."""
    for marker, (problem_of, required) in NEEDS.items():
        marked = [item for item in items if item.get_closest_marker(marker)]
        if not marked:
            continue
        problem = problem_of()
        if problem is None:
            continue
        if os.environ.get(required) == "1":
            raise pytest.UsageError(f"{required}=1 but {problem}")
        for item in marked:
            item.add_marker(pytest.mark.skip(reason=problem))


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """A private copy of the fixture project with every outcome."""
    return copy_fixture("mixed", tmp_path)


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """Writes a config into a project whose folders are t/ and those the DESIGN.md example
    names (category paths must exist)."""
    for folder in ("t", "tests/unit", "tests/websocket", "tests/e2e", "frontend"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)

    def write(text: str, name: str = "categories.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


BACKENDS = [
    pytest.param("docker", marks=pytest.mark.docker),
    pytest.param("local", marks=pytest.mark.local_services),
]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each service backend in turn: everything about services holds for both."""
    return str(request.param)


@pytest.fixture
def services_project(tmp_path: Path) -> Path:
    """A private copy of the services fixture project."""
    return copy_fixture("services", tmp_path)


@pytest.fixture
def listening_port() -> Iterator[int]:
    """Something that accepts TCP connections: an external service's health check passes."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]
