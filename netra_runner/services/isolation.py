"""Per-worker isolation (`isolate: worker`): each worker of a category gets its own copy of
a service's data, made after the service's set-up, and its own exports naming it.

- Postgres: `CREATE DATABASE <db>_<n> TEMPLATE <db>`, a file-level copy of the set-up
  database (milliseconds, not the migrations' seconds), dropped when the category ends;
  the set-up database itself is never connected to by tests, so it stays a template.
- Redis: a logical database number per worker, flushed first, none shared by two
  categories running at once; past the server's `databases` count is an error that says so.
- Anything else: `{worker}` in a service's exports (a key prefix, a schema, a bucket),
  naming the category and the worker.

SQL and commands run through the instance (`docker exec`, or the local installation's
clients), so both backends behave the same.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from netra_runner.config.model import Service
from netra_runner.errors import ServiceError
from netra_runner.plugin.worker_env import NAME_CHARACTERS, WORKER, worker_name
from netra_runner.services.backend import ServiceInstance
from netra_runner.services.local.recipes import image_kind
from netra_runner.services.spec import ServiceSpec

_REDIS_DB_KEY = re.compile(r"(DB|DATABASE)$", re.IGNORECASE)


def kind_of(spec: ServiceSpec) -> str | None:
    return spec.service.local.kind or image_kind(spec.service.image)


@dataclass
class Copies:
    """What one category was given of one service: a copy per worker, dropped at its end."""

    spec: ServiceSpec
    instance: ServiceInstance
    names: dict[str, str]  # worker id -> its database (name or number)
    instances: dict[str, ServiceInstance] = field(default_factory=dict)  # isolate: instance
    exports: dict[str, dict[str, str]] = field(default_factory=dict)  # theirs, by worker
    begun: bool = False  # `fill` began making them: there may be something to drop


class Isolation:
    """Copies for categories that may run at the same time: each gets names of its own
    (database names carry the category; Redis numbers are handed out once at a time)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # the Redis numbers
        self._cloning = threading.Lock()  # one CREATE DATABASE ... TEMPLATE at a time
        self._numbers: dict[str, set[int]] = {}  # Redis numbers in use, by service

    def copies(
        self, spec: ServiceSpec, instance: ServiceInstance, category: str, workers: Sequence[str]
    ) -> Copies:
        """Each worker's copy named (Redis numbers held): nothing is made yet, see `fill`."""
        kind = kind_of(spec)
        if kind == "postgres":
            names = {
                w: NAME_CHARACTERS.sub("_", f"{_database(spec)}_{category}_{w}".lower())[:63]
                for w in workers
            }
            return Copies(spec, instance, names)
        if kind == "redis":
            return Copies(spec, instance, self._redis_numbers(spec, instance, workers))
        return Copies(spec, instance, {w: worker_name(category, w) for w in workers})

    def fill(self, copies: Copies, workers: Sequence[str] | None = None) -> None:
        """Make the named copies (of `workers`, or all) from the set-up data, after the
        service's set-up."""
        if copies.instances:
            return
        copies.begun = True
        names = [copies.names[w] for w in (copies.names if workers is None else workers)]
        kind = kind_of(copies.spec)
        if kind == "postgres":
            # One psql for them: a client start costs more than a small copy. Postgres 15+
            # copies through the WAL (no checkpoint of the set-up's pages first).
            sql = _clone_sql(names, _database(copies.spec))
            with self._cloning:
                _psql(copies.spec, copies.instance, *sql)
        elif kind == "redis":
            for number in names:
                _flush(copies.spec, copies.instance, number)

    def release(self, copies: Copies) -> None:
        if copies.instances:
            return  # whole instances: the session removes them
        kind = kind_of(copies.spec)
        if kind == "postgres" and copies.begun:  # only named: the service may be gone
            drops = [f'DROP DATABASE IF EXISTS "{n}"' for n in copies.names.values()]
            _psql(copies.spec, copies.instance, *drops)
        elif kind == "redis":
            self._free(copies.spec, {int(n) for n in copies.names.values()})

    def recopy(self, copies: Copies, worker: str) -> None:
        """This worker's copy made again from the set-up (a whole instance is kept: making
        one again is a start and a set-up, not a copy)."""
        if copies.instances or worker not in copies.names:
            return
        kind, name = kind_of(copies.spec), copies.names[worker]
        if kind == "postgres":
            # The dead worker's sessions may not have ended yet: FORCE ends them (13+).
            sql = _clone_sql([name], _database(copies.spec), " WITH (FORCE)")
            with self._cloning:
                _psql(copies.spec, copies.instance, *sql)
        elif kind == "redis":
            _flush(copies.spec, copies.instance, name)

    def _redis_numbers(
        self, spec: ServiceSpec, instance: ServiceInstance, workers: Sequence[str]
    ) -> dict[str, str]:
        """The lowest numbers no running category holds (0 is left alone)."""
        count = _database_count(instance)
        with self._lock:
            taken = self._numbers.setdefault(spec.name, set())
            free = [n for n in range(1, count) if n not in taken][: len(workers)]
            if len(free) < len(workers):
                raise ServiceError(_too_few(spec, len(workers), count, len(taken)))
            taken.update(free)
        return {w: str(n) for w, n in zip(workers, free, strict=True)}

    def _free(self, spec: ServiceSpec, numbers: set[int]) -> None:
        with self._lock:
            self._numbers.get(spec.name, set()).difference_update(numbers)


def traffic(copies: Copies) -> int | None:
    """A count of what has reached the set-up data itself: Postgres's transactions in the
    set-up database, Redis's keys in database 0; None where it cannot be known (a service
    that went down, a container removed: the check then says nothing, never fails)."""
    try:
        return _traffic(copies)
    except Exception:
        return None


def _traffic(copies: Copies) -> int | None:
    if copies.instances:
        return None
    kind = kind_of(copies.spec)
    if kind == "postgres":
        user = copies.spec.service.env.get("POSTGRES_USER") or "postgres"
        query = (
            "SELECT xact_commit + xact_rollback FROM pg_stat_database "
            f"WHERE datname = '{_database(copies.spec)}'"
        )
        code, said = copies.instance.exec(
            ("psql", "-U", user, "-d", "postgres", "-tAq", "-c", query)
        )
        text = said.strip()
        return int(text) if code == 0 and text.isdigit() else None
    if kind == "redis":
        code, said = copies.instance.exec(("redis-cli", "INFO", "keyspace"))
        if code != 0:
            return None
        found = re.search(r"^db0:keys=(\d+)", said, re.MULTILINE)
        return int(found[1]) if found else 0
    return None


def reached_itself(copies: Copies, before: int | None) -> str | None:
    """Why the set-up data saw the tests' traffic (workers connected to it, not to their
    copies), or None."""
    after = traffic(copies) if before is not None else None
    if before is None or after is None or after == before:
        return None
    kind = kind_of(copies.spec)
    what = (
        f"{after - before} transactions in {_database(copies.spec)}"
        if kind == "postgres"
        else f"database 0 went from {before} to {after} keys"
    )
    return (
        f"service {copies.spec.name}: workers reached the set-up data itself ({what}) "
        "while the tests ran: isolation did not reach the suite; it may read the database "
        "from a variable of its own (POSTGRES_DB, PGDATABASE) or a pytest option, not from "
        "the exports netra-run hands each worker"
    )


def exports_for(copies: Copies, exports: dict[str, str], worker: str) -> dict[str, str]:
    """The service's exports as this worker sees them: naming its own copy."""
    if copies.exports:
        return {
            k: v.replace(WORKER, copies.names[worker]) for k, v in copies.exports[worker].items()
        }
    name = copies.names[worker]
    kind = kind_of(copies.spec)
    rendered = {}
    for key, value in exports.items():
        value = value.replace(WORKER, name)
        if kind == "postgres":
            value = _with_database(value, _database(copies.spec), name)
        elif kind == "redis":
            value = _with_redis_number(value, name, key)
        rendered[key] = value
    return rendered


def _database(spec: ServiceSpec) -> str:
    return _database_of(spec.service)


def _database_of(service: Service) -> str:
    env = service.env
    return env.get("POSTGRES_DB") or env.get("POSTGRES_USER") or "postgres"


def _clone_sql(names: Iterable[str], template: str, drop_options: str = "") -> list[str]:
    return [
        sql
        for name in names
        for sql in (
            f'DROP DATABASE IF EXISTS "{name}"{drop_options}',
            f'CREATE DATABASE "{name}" TEMPLATE "{template}"',
        )
    ]


def _psql(spec: ServiceSpec, instance: ServiceInstance, *statements: str) -> None:
    """One psql for them all, each statement on its own (DROP/CREATE DATABASE cannot run in
    a transaction block, which one -c of several statements would be)."""
    user = spec.service.env.get("POSTGRES_USER") or "postgres"
    commands = [part for sql in statements for part in ("-c", sql)]
    argv = ("psql", "-U", user, "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", *commands)
    code, output = instance.exec(argv)
    if code != 0:
        raise ServiceError(
            f"service {spec.name}: isolating a worker failed: {output.strip()[-500:]}"
        )


def _flush(spec: ServiceSpec, instance: ServiceInstance, number: str) -> None:
    flushed, output = instance.exec(("redis-cli", "-n", number, "FLUSHDB"))
    if flushed != 0 or output.strip() != "OK":  # redis-cli exits 0 on an error reply too
        raise ServiceError(f"service {spec.name}: FLUSHDB {number} failed: {output.strip()}")


def _database_count(instance: ServiceInstance) -> int:
    code, said = instance.exec(("redis-cli", "CONFIG", "GET", "databases"))
    lines = said.split()
    return int(lines[-1]) if code == 0 and lines and lines[-1].isdigit() else 16


def _too_few(spec: ServiceSpec, workers: int, count: int, taken: int) -> str:
    others = f" ({taken} held by categories running now)" if taken else ""
    return (
        f"service {spec.name}: {workers} workers need {workers + 1} Redis databases (one "
        f"each, and 0 left alone); the server has {count}{others}: raise its `databases` "
        "(command: [redis-server, --databases, '64']) or use fewer workers"
    )


def _with_database(value: str, template: str, name: str) -> str:
    """postgresql://u:p@h:5432/app?x -> .../app_unit_gw0?x; 'dbname=app' -> 'dbname=...'."""
    if value == template:  # the name alone, in a variable of its own: POSTGRES_DB, PGDATABASE
        return name
    if value.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(value)
        if parts.path.lstrip("/") in ("", template):
            return urlunsplit(parts._replace(path=f"/{name}"))
        return value
    return re.sub(rf"\bdbname={re.escape(template)}\b", f"dbname={name}", value)


def copy_exports(service: Service) -> list[str]:
    """The exports `exports_for` points at each worker's copy: with none, isolation cannot
    reach the suite."""
    kind = service.local.kind or image_kind(service.image)
    template = _database_of(service)
    return [k for k, v in service.exports.items() if _names_a_copy(kind, template, k, v)]


def _names_a_copy(kind: str | None, template: str, key: str, value: str) -> bool:
    if WORKER in value:
        return True
    if kind == "postgres":
        return value != _with_database(value, template, "\x00")
    if kind == "redis":
        return value != _with_redis_number(value, "\x00", key)
    return False


def _with_redis_number(value: str, number: str, key: str = "") -> str:
    if value == "0" and _REDIS_DB_KEY.search(key):  # REDIS_DB: "0", a variable of its own
        return number
    if not value.startswith(("redis://", "rediss://")):
        return value
    parts = urlsplit(value)
    return urlunsplit(parts._replace(path=f"/{number}"))
