"""Each worker's exports naming its own copy, and the plugin's side of handing them over."""

from __future__ import annotations

import json

import pytest

from netra_runner import worker_env
from netra_runner.config import Service
from netra_runner.services.isolation import Copies, exports_for, worker_ids
from netra_runner.services.spec import ServiceSpec


class NoInstance:
    """Exports are rewritten without touching the instance."""


def copies(image: str, names: dict[str, str], env: dict[str, str] | None = None) -> Copies:
    service = Service(image=image, env=env or {})
    return Copies(ServiceSpec("svc", service, "h"), NoInstance(), names)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "seen"),
    [
        ("postgresql://u:p@h:5/app", "postgresql://u:p@h:5/app_unit_gw1"),
        (
            "postgres://u:p@h:5/app?sslmode=disable",
            "postgres://u:p@h:5/app_unit_gw1?sslmode=disable",
        ),
        ("host=h dbname=app user=u", "host=h dbname=app_unit_gw1 user=u"),
        ("postgresql://u:p@h:5/other", "postgresql://u:p@h:5/other"),  # not the set-up one
        ("schema_{worker}", "schema_app_unit_gw1"),
    ],
)
def test_a_postgres_export_names_the_workers_clone(value: str, seen: str) -> None:
    given = copies("postgres:16", {"gw1": "app_unit_gw1"}, {"POSTGRES_DB": "app"})
    assert exports_for(given, {"URL": value}, "gw1") == {"URL": seen}


def test_a_redis_export_names_the_workers_database_number() -> None:
    given = copies("redis:7", {"gw0": "1", "gw1": "2"})
    exports = {"URL": "redis://h:6379/0", "PREFIX": "k-{worker}:", "OTHER": "http://h/0"}
    assert exports_for(given, exports, "gw1") == {
        "URL": "redis://h:6379/2",
        "PREFIX": "k-2:",
        "OTHER": "http://h/0",
    }


def test_worker_ids_are_xdists_or_main() -> None:
    assert worker_ids(1) == ["main"]
    assert worker_ids(3) == ["gw0", "gw1", "gw2"]


def test_the_plugin_applies_its_own_workers_entry_only() -> None:
    table = {"gw0": {"DATABASE_URL": "db0"}, "gw1": {"DATABASE_URL": "db1"}}
    env = {worker_env.WORKER_ENV: json.dumps(table), "PYTEST_XDIST_WORKER": "gw1"}
    assert worker_env.apply(env) == "gw1" and env["DATABASE_URL"] == "db1"
    alone = {worker_env.WORKER_ENV: json.dumps({"main": {"X": "1"}})}
    assert worker_env.apply(alone) == "main" and alone["X"] == "1"
    assert worker_env.apply({worker_env.WORKER_ENV: "not json"}) is None
    assert worker_env.apply({}) is None
