"""Set up once and clone per worker, against what users do today (a benchmark, not a test).

A suite of 40 tests whose schema takes 30 migrations, on real Postgres, run three ways at
each worker count:
- fixture: each worker migrates a database of its own in a session fixture (today's way
  to isolate workers);
- shared: the migrations run once and every worker shares the database (today's default;
  isolation lost, for reference);
- clones: netra-run's `setup:` once, then `isolate: worker` (CREATE DATABASE ... TEMPLATE).

    python scripts/bench_isolation.py [--workers 2 4] [--services local|docker]

Prints the set-up time, the time to make every worker's copy, and the whole run's wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TESTS = 40
URL = "postgresql://bench:bench-pw@{host}:{port:5432}/bench"

SERVICE = """\
version: 1
services:
  pg:
    image: netra-offline/postgres:15
    env: {{POSTGRES_USER: bench, POSTGRES_PASSWORD: bench-pw, POSTGRES_DB: bench}}
    command: [postgres, -c, fsync=off, -c, synchronous_commit=off, -c, full_page_writes=off]
    tmpfs: [/var/lib/postgresql/data]
    ports: [5432]
    healthcheck: {{exec: [pg_isready, -h, 127.0.0.1, -U, bench, -d, bench], interval: 0.1}}
    exports: {{DATABASE_URL: "{url}"}}
{extra}
categories:
  suite:
    paths: [tests]
    services: [pg]
    workers: {workers}
"""

MIGRATE = """\
import os
import sys

import psycopg

def migrate(url):
    with psycopg.connect(url, autocommit=True) as conn:
        for n in range({migrations}):
            conn.execute(
                f"CREATE TABLE m{n} (id serial PRIMARY KEY, a text, b int, "
                f"c timestamptz DEFAULT now())"
            )
            conn.execute(f"CREATE INDEX ON m{n} (b)")
            conn.execute(
                f"INSERT INTO m{n} (a, b) SELECT md5(g::text), g FROM generate_series(1, 2000) g"
            )

if __name__ == "__main__":
    migrate(os.environ["DATABASE_URL"])
"""

# Today's isolation: a database per worker, migrated in a session fixture.
FIXTURE = """\
import os

import psycopg
import pytest

from migrate import migrate


@pytest.fixture(scope="session", autouse=True)
def own_database():
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    base = os.environ["DATABASE_URL"]
    name = f"bench_{worker}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = base.rsplit("/", 1)[0] + "/" + name
    migrate(url)
    os.environ["DATABASE_URL"] = url
    yield
"""

TEST = """\
import os

import psycopg
import pytest


@pytest.mark.parametrize("n", range({tests}))
def test_query(n):
    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        assert conn.execute(f"SELECT count(*) FROM m{n % {migrations}}").fetchone() == (2000,)
"""


KEYS = ("setup", "copies", "wall")


def project(folder: Path, way: str, workers: int, migrations: int) -> Path:
    folder.mkdir(parents=True)
    extra = ""
    if way in ("shared", "clones"):
        extra = "    setup: [[python, migrate.py]]\n    setup_inputs: [migrate.py]\n"
    if way == "clones":
        extra += "    isolate: worker\n"
    config = SERVICE.format(url=URL, extra=extra.rstrip("\n"), workers=workers)
    (folder / "categories.yaml").write_text(config)
    (folder / "migrate.py").write_text(MIGRATE.replace("{migrations}", str(migrations)))
    (folder / "tests").mkdir()
    test = TEST.replace("{tests}", str(TESTS)).replace("{migrations}", str(migrations))
    (folder / "tests" / "test_bench.py").write_text(test)
    if way == "fixture":
        (folder / "tests" / "conftest.py").write_text(FIXTURE)
    (folder / "pytest.ini").write_text("[pytest]\npythonpath = .\n")
    return folder


def measure(folder: Path, services: str, workers: int) -> dict[str, float]:
    began = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "netra_runner",
            "--all",
            "--real-services",
            "--services",
            services,
            "--plain",
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
    )
    wall = time.monotonic() - began
    if done.returncode != 0:
        raise SystemExit(f"{folder.name} failed:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
    report = json.loads((folder / "reports" / "report.json").read_text())
    events = [json.loads(line) for line in (folder / "reports" / "events.ndjson").open()]
    copies = sum(e["seconds"] for e in events if e["event"] == "worker_copies")
    setup = sum(s.get("setup_seconds", 0.0) for s in report["services"])
    passed = report["totals"]["passed"]
    if passed != TESTS:
        raise SystemExit(f"{folder.name}: {passed} of {TESTS} tests passed")
    return {"setup": setup, "copies": copies, "wall": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--services", choices=["local", "docker"], default="local")
    parser.add_argument("--migrations", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3, help="rounds; medians are shown")
    args = parser.parse_args()
    runs: dict[tuple[int, str], list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="netra-bench-isolation-") as tmp:
        for round_ in range(args.repeat):  # the ways take turns: load hits them alike
            for workers in args.workers:
                for way in ("fixture", "shared", "clones"):
                    name = f"{way}-{workers}-{round_}"
                    folder = project(Path(tmp) / name, way, workers, args.migrations)
                    got = measure(folder, args.services, workers)
                    runs.setdefault((workers, way), []).append(got)
    print(
        f"{TESTS} tests, {args.migrations} migrations, services: {args.services}, "
        f"median of {args.repeat}"
    )
    print(f"{'workers':>7}  {'way':<8} {'set-up':>8} {'copies':>8} {'per copy':>9} {'wall':>7}")
    for (workers, way), rounds in runs.items():
        setup, copies, wall = (statistics.median(r[k] for r in rounds) for k in KEYS)
        per = copies / workers if copies else 0.0
        print(f"{workers:>7}  {way:<8} {setup:>7.2f}s {copies:>7.2f}s {per:>8.3f}s {wall:>6.2f}s")


if __name__ == "__main__":
    main()
