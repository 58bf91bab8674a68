"""Set up once, isolate per worker: real Postgres and Redis, on both backends."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import netra

CONFIG = """\
version: 1
services:
  postgres:
    image: netra-offline/postgres:15
    env: {POSTGRES_USER: app, POSTGRES_PASSWORD: pw-iso-7781, POSTGRES_DB: app}
    command: [postgres, -c, fsync=off]
    tmpfs: [/var/lib/postgresql/data]
    ports: [5432]
    healthcheck: {exec: [pg_isready, -h, 127.0.0.1, -U, app, -d, app], interval: 0.2}
    exports: {DATABASE_URL: "postgresql://app:pw-iso-7781@{host}:{port:5432}/app"}
    setup: [[python, migrate.py]]
    isolate: worker
  redis:
    image: netra-offline/redis:7
    command: [redis-server, --save, "", --appendonly, "no"]
    ports: [6379]
    healthcheck: {exec: [redis-cli, ping], interval: 0.1}
    exports: {REDIS_URL: "redis://{host}:{port:6379}/0", PREFIX: "run-{worker}:"}
    isolate: worker
categories:
  db:
    paths: [tests]
    services: [postgres, redis]
    workers: 2
"""

MIGRATE = """\
import os
import psycopg

with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
    conn.execute("CREATE TABLE notes (id int PRIMARY KEY, body text)")
    conn.execute("INSERT INTO notes VALUES (0, 'seed')")
"""

# Both workers write the same primary key at the same moment: each in its own database.
TESTS = """\
import os
import time

import psycopg
import pytest
import redis

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.mark.parametrize("n", range(4))
def test_same_key_in_every_worker(n):
    url = os.environ["DATABASE_URL"]
    assert url.endswith(f"/app_db_{WORKER}"), url
    with psycopg.connect(url, autocommit=True) as conn:
        seeded = conn.execute("SELECT body FROM notes WHERE id = 0").fetchone()
        assert seeded == ("seed",)  # the set-up's rows, copied
        conn.execute("INSERT INTO notes VALUES (1, %s)", (WORKER,))
        time.sleep(0.2)  # the other worker inserts its id 1 meanwhile
        rows = conn.execute("SELECT id, body FROM notes ORDER BY id").fetchall()
        assert rows == [(0, "seed"), (1, WORKER)]
        conn.execute("DELETE FROM notes WHERE id = 1")
    redis_url = os.environ["REDIS_URL"]
    number = redis_url.rsplit("/", 1)[1]
    assert number in ("1", "2"), redis_url  # its own database; 0 is left alone
    assert os.environ["PREFIX"] == f"run-{number}:"  # {worker} in an export
    client = redis.Redis.from_url(redis_url)
    client.set("k", WORKER)
    time.sleep(0.1)  # the other worker sets its own k meanwhile
    assert client.get("k") == WORKER.encode()
    client.close()
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "categories.yaml").write_text(CONFIG)
    (tmp_path / "migrate.py").write_text(MIGRATE)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_isolated.py").write_text(TESTS)
    return tmp_path


def test_each_worker_gets_its_own_copy_of_the_set_up_database(project: Path, backend: str) -> None:
    ran = netra(project, "--all", "--real-services", "--services", backend, "--plain")
    assert ran.code == 0, ran.out + ran.err
    assert ran.last_line.startswith("netra-run: 4 passed, 0 failed")
    assert "service postgres set up in" in ran.out
    assert "COPIES      db: postgres, redis for 2 workers in" in ran.out
    assert re.search(r"services healthy: .*postgres [\d.]+s, set up in [\d.]+s", ran.out)
    assert "pw-iso-7781" not in ran.out + ran.err
    report = (project / "reports" / "report.json").read_text()
    assert '"workers":2' in report


def test_too_many_workers_for_redis_databases_is_a_clear_error(project: Path, backend: str) -> None:
    config = project / "categories.yaml"
    text = config.read_text().replace(
        '[redis-server, --save, "", --appendonly, "no"]', '[redis-server, --databases, "2"]'
    )
    config.write_text(text.replace("workers: 2", "workers: 2\n    timeout: 30"))
    ran = netra(project, "--all", "--real-services", "--services", backend, "--plain", "-n", "2")
    assert ran.code == 1, ran.out + ran.err
    assert "2 workers need 3 Redis databases" in ran.out, ran.out


INSTANCES = """\
version: 1
services:
  redis:
    image: netra-offline/redis:7
    command: [redis-server, --save, "", --appendonly, "no"]
    ports: [6379]
    healthcheck: {exec: [redis-cli, ping], interval: 0.1}
    exports: {REDIS_URL: "redis://{host}:{port:6379}/0"}
    setup: [[python, seed.py]]
    isolate: instance
categories:
  server_wide:
    paths: [tests]
    services: [redis]
    workers: 2
"""

SEED = """\
import os
import redis

redis.Redis.from_url(os.environ["REDIS_URL"]).set("seeded", "yes")
"""

# FLUSHALL and CONFIG SET reach the whole server: only an instance per worker isolates them.
SERVER_WIDE = """\
import os
import time
from pathlib import Path

import pytest
import redis

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.mark.parametrize("n", range(4))
def test_server_wide_commands(n):
    url = os.environ["REDIS_URL"]
    seen = Path(f"url-{WORKER}.txt")
    client = redis.Redis.from_url(url)
    if not seen.exists():  # this worker's first test: nothing flushed its server yet
        assert client.get("seeded") == b"yes"  # each instance was set up the same way
    seen.write_text(url)
    client.config_set("maxmemory-policy", "allkeys-lru" if WORKER == "gw0" else "noeviction")
    client.set("mine", WORKER)
    time.sleep(0.2)  # the other worker flushes everything meanwhile
    assert client.get("mine") == WORKER.encode()
    client.flushall()
    client.close()
"""


def test_instance_isolation_gives_each_worker_a_whole_server(project: Path, backend: str) -> None:
    (project / "categories.yaml").write_text(INSTANCES)
    (project / "seed.py").write_text(SEED)
    (project / "tests" / "test_isolated.py").write_text(SERVER_WIDE)
    ran = netra(project, "--all", "--real-services", "--services", backend, "--plain")
    assert ran.code == 0, ran.out + ran.err
    urls = {p.read_text() for p in project.glob("url-gw*.txt")}
    assert len(urls) == 2, urls  # two servers, one per worker
    assert ran.out.count("set up in") >= 2, ran.out  # each instance was set up


CRASHING = """\
import os

import psycopg


def test_a_writes_then_its_process_dies():
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("INSERT INTO notes VALUES (5, 'left behind')")
    os._exit(1)


def test_b_runs_in_a_new_process_on_a_fresh_copy():
    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        assert conn.execute("SELECT id FROM notes ORDER BY id").fetchall() == [(0,)]
"""


def test_a_process_started_again_after_a_crash_gets_a_fresh_copy(
    project: Path, backend: str
) -> None:
    config = project / "categories.yaml"
    config.write_text(config.read_text().replace("workers: 2", "workers: 1"))
    (project / "tests" / "test_isolated.py").write_text(CRASHING)
    ran = netra(project, "--all", "--real-services", "--services", backend, "--plain")
    assert ran.code == 1, ran.out + ran.err
    report = json.loads((project / "reports" / "report.json").read_text())
    outcomes = {t["id"].rsplit("::", 1)[1]: t for t in report["categories"][0]["tests"]}
    assert "worker crashed" in outcomes["test_a_writes_then_its_process_dies"]["message"]
    assert outcomes["test_b_runs_in_a_new_process_on_a_fresh_copy"]["outcome"] == "passed"
    assert ran.out.count("COPIES      db:") == 2, ran.out  # made again for the new process


REPLACED = """\
import os
import time
from pathlib import Path

import psycopg
import pytest

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


def test_a_writes_then_its_worker_dies():
    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("INSERT INTO notes VALUES (5, 'left behind')")
    os._exit(1)


@pytest.mark.parametrize("n", range(12))
def test_every_other_test_sees_only_the_set_up_rows(n):
    url = os.environ["DATABASE_URL"]
    Path(f"ran-{WORKER}.txt").write_text(url)
    assert not url.endswith("/app"), url  # never the set-up database itself
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT id FROM notes ORDER BY id").fetchall() == [(0,)]
    time.sleep(0.3)
"""


def test_a_worker_started_again_after_a_crash_gets_a_fresh_copy_of_its_own(
    project: Path, backend: str
) -> None:
    (project / "tests" / "test_isolated.py").write_text(REPLACED)
    ran = netra(project, "--all", "--real-services", "--services", backend, "--plain")
    assert ran.code == 1, ran.out + ran.err
    report = json.loads((project / "reports" / "report.json").read_text())
    tests = report["categories"][0]["tests"]
    failed = [t["id"] for t in tests if t["outcome"] != "passed"]
    assert failed == ["tests/test_isolated.py::test_a_writes_then_its_worker_dies"], ran.out
    assert len(tests) == 13  # the other tests saw only the set-up's rows: a fresh copy
    assert re.search(r"COPY        db: a fresh copy for gw[01], started again", ran.out), ran.out


def test_a_worker_xdist_replaces_after_a_crash_gets_a_fresh_copy(
    project: Path, backend: str
) -> None:
    (project / "tests" / "test_isolated.py").write_text(REPLACED)
    ran = netra(project, "--all", "--real-services", "--services", backend, "--plain", "--xdist")
    assert ran.code == 1, ran.out + ran.err
    report = json.loads((project / "reports" / "report.json").read_text())
    tests = report["categories"][0]["tests"]
    failed = [t["id"] for t in tests if t["outcome"] != "passed"]
    assert failed == ["tests/test_isolated.py::test_a_writes_then_its_worker_dies"], ran.out
    ran_in = {p.stem.removeprefix("ran-"): p.read_text() for p in project.glob("ran-gw*.txt")}
    replacements = set(ran_in) - {"gw0", "gw1"}
    assert replacements, ran_in  # xdist's new worker ran tests, and they passed
    assert {ran_in[w].rsplit("_", 1)[1] for w in replacements} <= {"gw0", "gw1"}, ran_in
    assert "COPY        db: a fresh copy for the worker replacing gw" in ran.out, ran.out


SLOW_MIGRATE = """\
import os
import time

import psycopg

time.sleep(3)  # longer than the suite's start-up: its workers wait for it
with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
    conn.execute("CREATE TABLE notes (id int PRIMARY KEY, body text)")
    conn.execute("INSERT INTO notes VALUES (0, 'seed')")
"""


def events_of(project: Path) -> list[dict[str, object]]:
    lines = (project / "reports" / "events.ndjson").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_the_suite_starts_while_the_set_up_runs_and_its_tests_wait_for_it(
    project: Path, backend: str
) -> None:
    (project / "migrate.py").write_text(SLOW_MIGRATE)
    ran = netra(project, "--all", "--real-services", "--services", backend, "--plain")
    assert ran.code == 0, ran.out + ran.err
    assert ran.last_line.startswith("netra-run: 4 passed, 0 failed")
    order = [e["event"] for e in events_of(project)]
    # Started when healthy, before the set-up ended; copies after it; every test after the
    # set-up. Each worker goes on once its own copies are made (the tests check their copy
    # holds the set-up's rows), which may be before the other worker's are.
    assert order.index("category_started") < order.index("service_setup")
    assert order.index("service_setup") < order.index("worker_copies")
    assert order.index("service_setup") < order.index("test_started")


def test_copies_that_cannot_be_made_while_the_suite_starts_stop_it_with_the_reason(
    project: Path, backend: str
) -> None:
    config = project / "categories.yaml"
    no_flush = '[redis-server, --rename-command, FLUSHDB, ""]'
    text = config.read_text().replace('[redis-server, --save, "", --appendonly, "no"]', no_flush)
    config.write_text(text)
    ran = netra(project, "--all", "--real-services", "--services", backend, "--plain", timeout=90)
    assert ran.code == 1, ran.out + ran.err
    report = json.loads((project / "reports" / "report.json").read_text())
    category = report["categories"][0]
    assert category["status"] == "error", category
    assert "FLUSHDB 1 failed" in category["reason"], category
    assert not category["tests"]  # no test ran on a database that was not its own


CATEGORY_SEED = """\
import os

import psycopg

with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
    conn.execute("INSERT INTO notes VALUES (7, 'from the category set-up')")
"""

SEES_CATEGORY_SEED = """\
import os

import psycopg


def test_the_copy_carries_the_categorys_set_up():
    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        assert conn.execute("SELECT id FROM notes ORDER BY id").fetchall() == [(0,), (7,)]
"""


def test_a_categorys_own_set_up_runs_before_its_copies_are_made(
    project: Path, backend: str
) -> None:
    config = project / "categories.yaml"
    config.write_text(
        config.read_text().replace("workers: 2", "workers: 2\n    setup: [[python, seed.py]]")
    )
    (project / "seed.py").write_text(CATEGORY_SEED)
    (project / "tests" / "test_isolated.py").write_text(SEES_CATEGORY_SEED)
    ran = netra(project, "--all", "--real-services", "--services", backend, "--plain")
    assert ran.code == 0, ran.out + ran.err
    assert ran.last_line.startswith("netra-run: 1 passed, 0 failed")


NAMESPACED = """\
import os

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


def test_a_namespace_of_its_own_a():
    assert os.environ["CACHE_PREFIX"] == f"app:plain_{WORKER}:"


def test_a_namespace_of_its_own_b():
    assert os.environ["CACHE_PREFIX"] == f"app:plain_{WORKER}:"
"""


def test_worker_in_a_categorys_env_names_each_workers_namespace(tmp_path: Path) -> None:
    (tmp_path / "categories.yaml").write_text(
        "version: 1\ncategories:\n  plain:\n    paths: [tests]\n    workers: 2\n"
        '    env: {CACHE_PREFIX: "app:{worker}:"}\n'
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_namespaced.py").write_text(NAMESPACED)
    ran = netra(tmp_path, "--all", "--plain")
    assert ran.code == 0, ran.out + ran.err
    assert ran.last_line.startswith("netra-run: 2 passed, 0 failed")


def test_a_netra_run_inside_a_suite_does_not_hand_on_the_outer_suites_copies(
    tmp_path: Path,
) -> None:
    """netra-run's own tests run netra-run: the outer worker's copies are not the inner's."""
    (tmp_path / "categories.yaml").write_text(
        "version: 1\ncategories:\n  plain:\n    paths: [tests]\n"
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_inner.py").write_text(
        "import os\n\n\ndef test_sees_no_outer_copy():\n"
        '    assert "DATABASE_URL" not in os.environ\n'
        '    assert not any(k.startswith("NETRA_WORKER") for k in os.environ)\n'
    )
    outer = {
        "NETRA_WORKER_ENV": json.dumps({"main": {"DATABASE_URL": "postgresql://outer/app_x"}}),
        "NETRA_WORKER_GATE": json.dumps({"path": str(tmp_path / "never"), "who": "main"}),
    }
    ran = netra(tmp_path, "--all", "--plain", env=outer, timeout=60)
    assert ran.code == 0, ran.out + ran.err


URL_EXPORT = 'exports: {DATABASE_URL: "postgresql://app:pw-iso-7781@{host}:{port:5432}/app"}'


def edit_config(project: Path, old: str, new: str) -> None:
    config = project / "categories.yaml"
    text = config.read_text()
    assert old in text
    config.write_text(text.replace(old, new))


# A suite that takes its server as a pytest option (as client libraries' suites do), given
# in the category's args and through PYTEST_ADDOPTS; and a cache-kept "previous run" flag.
BY_OPTION_CONFTEST = """\
import pytest


def pytest_addoption(parser):
    parser.addoption("--dsn", default=None)
    parser.addoption("--tag", default=None)


def pytest_sessionstart(session):
    cache = session.config.cache
    if cache.get("app/running", False):
        raise session.Failed("a previous run crashed (app/running is set)")
    cache.set("app/running", True)


def pytest_sessionfinish(session):
    session.config.cache.set("app/running", False)
"""
BY_OPTION_TESTS = """\
import os
import time

import psycopg
import pytest

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.mark.parametrize("n", range(4))
def test_the_option_names_my_own_copy(n, request):
    dsn = request.config.getoption("--dsn")
    assert dsn.endswith(f"/app_db_{WORKER}"), dsn
    tag = request.config.getoption("--tag")  # PYTEST_ADDOPTS is read before any plugin
    assert tag == f"db_{WORKER}", tag
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO notes VALUES (1, %s)", (WORKER,))
        time.sleep(0.2)
        rows = conn.execute("SELECT id, body FROM notes ORDER BY id").fetchall()
        assert rows == [(0, "seed"), (1, WORKER)]
        conn.execute("DELETE FROM notes WHERE id = 1")
"""


def test_a_suite_taking_its_server_as_a_pytest_option_gets_each_workers_copy(
    project: Path, backend: str
) -> None:
    (project / "tests" / "test_isolated.py").unlink()
    (project / "tests" / "conftest.py").write_text(BY_OPTION_CONFTEST)
    (project / "tests" / "test_by_option.py").write_text(BY_OPTION_TESTS)
    edit_config(
        project,
        "    workers: 2\n",
        '    workers: 2\n    args: ["--dsn={DATABASE_URL}"]\n'
        '    env: {PYTEST_ADDOPTS: "--tag={worker}"}\n',
    )
    for _ in range(2):  # the second run: the cache the first one left is each worker's own
        ran = netra(project, "--all", "--real-services", "--services", backend, "--plain")
        assert ran.code == 0, ran.out + ran.err
        assert ran.last_line.startswith("netra-run: 4 passed, 0 failed")


REACHES_THE_TEMPLATE = """\
import os

import psycopg


def test_reads_the_database_name_from_its_own_setting():
    # as an app whose settings read the database's name from a .env, not from the exports
    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/app"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT 1")


def test_the_separate_variable_names_my_copy():
    assert os.environ["DATABASE_URL"].endswith("/" + os.environ["PGDATABASE"])
"""


def test_workers_reaching_the_set_up_database_itself_are_said_loudly(
    project: Path, backend: str
) -> None:
    (project / "tests" / "test_isolated.py").write_text(REACHES_THE_TEMPLATE)
    edit_config(project, URL_EXPORT, URL_EXPORT[:-1] + ", PGDATABASE: app}")
    ran = netra(project, "--all", "--real-services", "--services", backend, "--plain")
    assert ran.code == 0, ran.out + ran.err  # the tests passed: the isolation did not
    assert "ISOLATION   db: service postgres: workers reached the set-up data itself (" in ran.out
    assert "it may read the database from a variable of its own" in ran.out
    assert "service redis: workers reached" not in ran.out


def test_isolate_worker_with_no_export_naming_a_copy_is_an_error_with_its_line(
    project: Path,
) -> None:
    edit_config(project, URL_EXPORT, 'exports: {PGHOST: "{host}", PGPORT: "{port:5432}"}')
    ran = netra(project, "--all", "--real-services", "--plan")
    assert ran.code == 2, ran.out + ran.err
    assert "categories.yaml:10: services.postgres.exports: isolate: worker, but no" in ran.err
