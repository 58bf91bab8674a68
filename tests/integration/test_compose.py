"""Adopting netra-run in a repository shaped like a real web app template: Postgres in a
compose file, settings in a .env, the backend suite in backend/ with its own settings.
`netra-run init`, then one command, gives a passing run against real Postgres, on both
backends."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import BACKENDS
from helpers import netra

COMPOSE = """\
services:
  db:
    image: {image}
    restart: always
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U ${{POSTGRES_USER}} -d ${{POSTGRES_DB}}"]
      interval: 10s
      retries: 5
    volumes:
      - app-db-data:/var/lib/postgresql/data/pgdata
    env_file:
      - .env
    environment:
      - PGDATA=/var/lib/postgresql/data/pgdata
      - POSTGRES_PASSWORD=${{POSTGRES_PASSWORD?Variable not set}}
      - POSTGRES_USER=${{POSTGRES_USER?Variable not set}}
      - POSTGRES_DB=${{POSTGRES_DB?Variable not set}}
    ports:
      - "5432:5432"
  backend:
    image: "${{DOCKER_IMAGE_BACKEND?Variable not set}}:${{TAG-latest}}"
    build:
      context: ./backend
    depends_on:
      db:
        condition: service_healthy
        restart: true
    env_file:
      - .env
    environment:
      - POSTGRES_SERVER=db
volumes:
  app-db-data:
"""

DOTENV = """\
PROJECT_NAME="Full Stack FastAPI Project"
DOCKER_IMAGE_BACKEND=backend
POSTGRES_SERVER=localhost
POSTGRES_PORT=5432
POSTGRES_DB=app
POSTGRES_USER=postgres
POSTGRES_PASSWORD=changethis-pw-4412
"""

FILES = {
    ".env": DOTENV,
    "backend/pyproject.toml": '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
    "backend/app/__init__.py": "",
    "backend/app/core/__init__.py": "",
    "backend/app/core/db.py": (
        "import os\n\nimport psycopg\n\n\ndef connect():\n"
        "    env = os.environ\n"
        "    return psycopg.connect(\n"
        "        host=env['POSTGRES_SERVER'], port=int(env['POSTGRES_PORT']),\n"
        "        user=env['POSTGRES_USER'], password=env['POSTGRES_PASSWORD'],\n"
        "        dbname=env['POSTGRES_DB'],\n    )\n"
    ),
    "backend/tests/__init__.py": "",
    "backend/tests/conftest.py": (
        "import pytest\n\nfrom app.core.db import connect\n\n\n@pytest.fixture\ndef db():\n"
        "    with connect() as conn:\n        yield conn\n"
    ),
    "backend/tests/api/__init__.py": "",
    "backend/tests/api/test_items.py": (
        "import os\n\n\ndef test_the_database_answers(db):\n"
        "    assert db.execute('select current_database()').fetchone() == ('app',)\n\n\n"
        "def test_settings_come_from_the_dotenv():\n"
        "    assert os.environ['PROJECT_NAME'] == 'Full Stack FastAPI Project'\n"
    ),
}


def make(root: Path, image: str) -> Path:
    (root / "compose.yml").write_text(COMPOSE.format(image=image))
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    return root


@pytest.mark.parametrize("backend", BACKENDS)
def test_init_then_one_command_runs_the_suite_against_the_compose_postgres(
    tmp_path: Path, backend: str
) -> None:
    image = "netra-offline/postgres:15" if backend == "docker" else "postgres:17"
    root = make(tmp_path, image)
    wrote = netra(root, "init")
    assert wrote.code == 0, wrote.out + wrote.err
    config = (root / "categories.yaml").read_text()
    assert "compose: compose.yml" in config and "services: [db]" in config
    assert "cwd: backend" in config and "env_file: .env" in config
    assert "reports/" in (root / ".gitignore").read_text()
    ran = netra(root, "--all", "--services", backend)
    assert ran.code == 0, ran.out + ran.err
    assert ran.last_line.startswith("netra-run: 2 passed"), ran.out
    assert "changethis-pw-4412" not in ran.out + (root / "reports" / "report.json").read_text()


def test_the_compose_services_take_what_categories_yaml_adds(tmp_path: Path) -> None:
    root = make(tmp_path, "postgres:17")
    (root / "categories.yaml").write_text(
        "version: 1\ncompose: compose.yml\nservices:\n  db:\n    isolate: worker\n"
        "    exports: {EXTRA: 'x-{host}'}\n"
        "categories:\n  api:\n    paths: [backend/tests]\n    cwd: backend\n"
        "    env_file: .env\n    services: [db]\n"
    )
    plan = netra(root, "--all", "--plan", "--real-services")
    assert plan.code == 0, plan.out + plan.err
    assert "service db: isolate: worker (a copy for each worker)" in plan.out
    # The .env sets what the service exports: said once, not silently overridden.
    assert "POSTGRES_DB, POSTGRES_PASSWORD, POSTGRES_PORT, POSTGRES_SERVER, POSTGRES_USER set" in (
        plan.out
    )
    assert "the exports win" in plan.out
    listed = netra(root, "--list")
    assert listed.code == 0, listed.err


def test_a_compose_file_given_as_the_config_says_what_it_is(tmp_path: Path) -> None:
    root = make(tmp_path, "postgres:17")
    ran = netra(root, "--config", "compose.yml", "--all")
    assert ran.code == 2
    assert "compose.yml: this is a Docker Compose file, not a categories.yaml" in ran.err
    assert "`compose: compose.yml` in categories.yaml" in ran.err


def test_a_missing_required_variable_is_a_config_error(tmp_path: Path) -> None:
    root = make(tmp_path, "postgres:17")
    (root / ".env").write_text(DOTENV.replace("POSTGRES_USER=postgres\n", ""))
    (root / "categories.yaml").write_text(
        "version: 1\ncompose: compose.yml\ncategories:\n  api: {paths: [backend/tests]}\n"
    )
    ran = netra(root, "--all")
    assert ran.code == 2
    assert "${POSTGRES_USER} is required: Variable not set" in ran.err


def test_the_exports_name_the_database_as_the_app_does(tmp_path: Path) -> None:
    from netra_runner.config import load_project

    root = make(tmp_path, "postgres:17")
    (root / "categories.yaml").write_text(
        "version: 1\ncompose: compose.yml\ncategories:\n  api: {paths: [backend/tests]}\n"
    )
    service = load_project(root / "categories.yaml").config.services["db"]
    assert service.exports["POSTGRES_DB"] == "app"
    assert service.exports["POSTGRES_SERVER"] == "{host}"
    assert service.exports["POSTGRES_PORT"] == "{port:5432}"
    assert service.exports["DATABASE_URL"].endswith("@{host}:{port:5432}/app")
    assert len(service.ports) == 1
    assert service.env["PGDATA"] == "/var/lib/postgresql/data/pgdata"
