"""A compose file read as docker compose reads it: interpolation, the forms of ports,
environment and health checks, and what a Postgres or Redis service gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from netra_runner.config.compose import compose_services
from netra_runner.config.load import is_compose
from netra_runner.errors import ConfigError

COMPOSE = """\
x-common: &common
  restart: always
services:
  db:
    <<: *common
    image: ${REGISTRY:-docker.io}/library/postgres:17
    environment:
      POSTGRES_USER: ${DB_USER}
      POSTGRES_PASSWORD: "p@ss:w/rd$$1"
      POSTGRES_DB: ${DB_NAME:-app}
      EMPTY:
  cache:
    image: redis:7-alpine
    command: redis-server --save ""
    depends_on:
      db: {condition: service_healthy}
      migrate: {condition: service_completed_successfully}
  search:
    image: example/search:2
    ports: ["127.0.0.1:9201:9200/tcp", {target: 9300, published: 9300}, "7000-7002:7000-7002"]
    tmpfs: /data
    healthcheck:
      test: ["CMD-SHELL", "curl -f localhost:9200"]
      interval: 1m30s
  worker:
    image: example/worker:1
    healthcheck: {test: ["NONE"]}
  migrate:
    build: ./backend
"""


@pytest.fixture
def services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, dict[str, object]]:
    (tmp_path / "compose.yml").write_text(COMPOSE)
    (tmp_path / ".env").write_text("DB_USER=alice\nDB_NAME=from_dotenv\n")
    monkeypatch.setenv("DB_NAME", "from_shell")  # the shell wins over .env, as in compose
    monkeypatch.delenv("REGISTRY", raising=False)
    return compose_services(tmp_path, ("compose.yml",))


def test_interpolation_is_composes(services: dict[str, dict[str, object]]) -> None:
    db = services["db"]
    assert db["image"] == "docker.io/library/postgres:17"
    assert db["env"] == {
        "POSTGRES_USER": "alice",
        "POSTGRES_PASSWORD": "p@ss:w/rd$1",
        "POSTGRES_DB": "from_shell",
        "EMPTY": "",
    }


def test_a_postgres_service_gets_exports_a_port_and_a_check(
    services: dict[str, dict[str, object]],
) -> None:
    db = services["db"]
    exports = db["exports"]
    assert isinstance(exports, dict)
    assert exports["DATABASE_URL"] == (
        "postgresql://alice:p%40ss%3Aw%2Frd%241@{host}:{port:5432}/from_shell"
    )
    assert exports["POSTGRES_DB"] == "from_shell" and exports["POSTGRES_SERVER"] == "{host}"
    assert db["ports"] == [5432]  # the image's, where compose publishes none
    assert db["healthcheck"] == {
        "exec": ["pg_isready", "-h", "127.0.0.1", "-U", "alice", "-d", "from_shell"]
    }


def test_redis_and_the_forms_of_command_and_depends_on(
    services: dict[str, dict[str, object]],
) -> None:
    cache = services["cache"]
    assert cache["command"] == ["redis-server", "--save", ""]
    assert cache["depends_on"] == ["db"]  # migrate is built from source: left out
    assert "migrate" not in services
    assert isinstance(cache["exports"], dict) and "REDIS_URL" in cache["exports"]


def test_ports_tmpfs_and_health_checks_of_any_image(
    services: dict[str, dict[str, object]],
) -> None:
    search = services["search"]
    assert search["ports"] == [9200, 9300]  # a range is left out
    assert search["tmpfs"] == ["/data"]
    assert search["healthcheck"] == {
        "exec": ["sh", "-c", "curl -f localhost:9200"],
        "interval": 1.0,
    }
    assert "healthcheck" not in services["worker"] and "exports" not in services["worker"]


def test_a_required_variable_that_is_missing_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "compose.yml").write_text(
        "services:\n  db:\n    image: postgres\n    environment: ['X=${MUST?set it}']\n"
    )
    with pytest.raises(ConfigError, match=r"compose.yml: \$\{MUST\} is required: set it"):
        compose_services(tmp_path, ("compose.yml",))


def test_a_compose_file_is_told_apart_from_a_categories_yaml() -> None:
    assert is_compose({"services": {"db": {"image": "postgres"}}})
    assert not is_compose({"version": 1, "categories": {}, "services": {}})
