"""Each worker's exports naming its own copy, and the plugin's side of handing them over."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netra_runner.config import Service
from netra_runner.errors import ServiceError
from netra_runner.plugin import agreement, worker_env
from netra_runner.plugin.replaced_workers import ReplacedWorkers
from netra_runner.plugin.worker_env import worker_ids
from netra_runner.services.isolation import Copies, Isolation, exports_for
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
    env = {agreement.WORKER_ENV: json.dumps(table), "PYTEST_XDIST_WORKER": "gw1"}
    assert worker_env.apply(env) == "gw1" and env["DATABASE_URL"] == "db1"
    alone = {agreement.WORKER_ENV: json.dumps({"main": {"X": "1"}})}
    assert worker_env.apply(alone) == "main" and alone["X"] == "1"
    assert worker_env.apply({agreement.WORKER_ENV: "not json"}) is None
    assert worker_env.apply({}) is None


class FakeRedis:
    """Answers redis-cli as a server with `databases` numbers would."""

    def __init__(self, databases: int) -> None:
        self.databases = databases
        self.flushed: list[str] = []

    def exec(self, argv: tuple[str, ...]) -> tuple[int, str]:
        if argv[1:] == ("CONFIG", "GET", "databases"):
            return 0, f"databases\n{self.databases}\n"
        self.flushed.append(argv[2])
        return 0, "OK"


def test_categories_running_at_once_never_share_a_redis_number() -> None:
    isolation = Isolation()
    spec = ServiceSpec("cache", Service(image="redis:7"), "h")
    server = FakeRedis(databases=5)
    first = isolation.copies(spec, server, "unit", ["gw0", "gw1"])  # type: ignore[arg-type]
    second = isolation.copies(spec, server, "api", ["gw0", "gw1"])  # type: ignore[arg-type]
    assert first.names == {"gw0": "1", "gw1": "2"} and second.names == {"gw0": "3", "gw1": "4"}
    with pytest.raises(ServiceError, match=r"the server has 5 \(4 held by categories"):
        isolation.copies(spec, server, "web", ["main"])  # type: ignore[arg-type]
    isolation.release(first)
    third = isolation.copies(spec, server, "web", ["main"])  # type: ignore[arg-type]
    assert third.names == {"main": "1"} and server.flushed == []  # named, not yet made
    for made in (second, third):
        isolation.fill(made)
    assert server.flushed == ["3", "4", "1"]


def test_worker_placeholders_of_other_services_name_the_category_too() -> None:
    spec = ServiceSpec("s3", Service(image="minio/minio"), "h")
    copies = Isolation().copies(spec, FakeRedis(0), "unit", ["gw0"])  # type: ignore[arg-type]
    assert exports_for(copies, {"BUCKET": "b-{worker}"}, "gw0") == {"BUCKET": "b-unit_gw0"}


class Gateway:
    def __init__(self, worker: str) -> None:
        self.id = worker


class Node:
    """What xdist's controller hands its hooks: a worker, named by its gateway."""

    def __init__(self, worker: str) -> None:
        self.gateway = Gateway(worker)


def test_a_replacement_worker_gets_the_dead_ones_entry_after_netra_run_answers(
    tmp_path: Path,
) -> None:
    events = tmp_path / "events.ndjson"
    table = {"gw0": {"DATABASE_URL": "db_gw0"}, "gw1": {"DATABASE_URL": "db_gw1"}}
    env = {agreement.WORKER_ENV: json.dumps(table)}
    asked: list[dict[str, object]] = []

    def emit(event: str, **fields: object) -> None:
        asked.append({"event": event, **fields})
        worker_env.answer(agreement.reply_file(events, str(fields["worker"]), 1), None)

    replaced = ReplacedWorkers(emit, events, env)
    for worker in ("gw0", "gw1"):
        replaced.pytest_configure_node(Node(worker))
    replaced.pytest_testnodedown(Node("gw0"), None)  # finished: nothing to do
    assert asked == []
    replaced.pytest_testnodedown(Node("gw1"), "crashed")
    assert asked == [{"event": "worker_replacing", "worker": "gw1", "dead": "gw1", "seq": 1}]
    replaced.pytest_configure_node(Node("gw2"))
    started = {**env, "PYTEST_XDIST_WORKER": "gw2"}
    assert worker_env.apply(started) == "gw2"
    assert started["DATABASE_URL"] == "db_gw1"  # the dead one's copy, never the set-up one
    assert not list(tmp_path.glob(".*.reply"))  # the answer is read and removed


def test_a_replacement_of_a_replacement_asks_for_the_first_ones_copy(tmp_path: Path) -> None:
    table = {"gw0": {"X": "0"}}
    env = {agreement.WORKER_ENV: json.dumps(table)}
    asked: list[object] = []
    replaced = ReplacedWorkers(
        lambda event, **f: asked.append(f["worker"]), tmp_path / "e", env, 0.05
    )
    replaced.pytest_configure_node(Node("gw0"))
    replaced.pytest_testnodedown(Node("gw0"), "crashed")  # no answer: it waits, then goes on
    replaced.pytest_configure_node(Node("gw1"))
    replaced.pytest_testnodedown(Node("gw1"), "crashed")
    assert asked == ["gw0", "gw0"]
    assert json.loads(env[agreement.WORKER_ENV])[worker_env.REPLACEMENT] == {"X": "0"}
