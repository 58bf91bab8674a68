from collections.abc import Callable
from pathlib import Path

import pytest

from netra_runner.config import find_config, load_project
from netra_runner.config.model import Port
from netra_runner.errors import ConfigError, UsageError

DESIGN_EXAMPLE = """\
version: 1
defaults:
  timeout: 300
  retries: 0
  workers: auto
services:
  postgres:
    image: postgres:16-alpine
    env: {POSTGRES_USER: netra, POSTGRES_PASSWORD: netra, POSTGRES_DB: netra_test}
    command: [postgres, -c, fsync=off]
    tmpfs: [/var/lib/postgresql/data]
    ports: [5432]
    healthcheck:
      exec: [pg_isready, -h, 127.0.0.1, -U, netra, -d, netra_test]
      interval: 0.2
      timeout: 60
    exports:
      DATABASE_URL: postgresql://netra:netra@{host}:{port:5432}/netra_test
  redis:
    image: redis:7-alpine
    command: [redis-server, --save, "", --appendonly, "no"]
    ports: [6379]
    healthcheck: {exec: [redis-cli, ping]}
    exports: {REDIS_URL: "redis://{host}:{port:6379}/0"}
categories:
  unit:
    description: Fast isolated tests
    paths: [tests/unit]
    timeout: 30
  websocket:
    paths: [tests/websocket]
    markers: websocket
    services: [postgres, redis]
  e2e:
    paths: [tests/e2e]
    services: [postgres, redis]
    depends_on: [unit]
  frontend:
    command: [npm, test, --, --ci]
    cwd: frontend
    junit: frontend/junit.xml
profiles:
  ci:
    defaults: {retries: 1}
  offline:
    services:
      postgres: {image: netra-offline/postgres:15}
      redis: {image: netra-offline/redis:7}
"""

Write = Callable[..., Path]


def error_of(path: Path, profile: str | None = None) -> str:
    with pytest.raises(UsageError) as caught:
        load_project(path, profile)
    return str(caught.value)


def test_the_design_example_loads_into_frozen_records(write_config: Write) -> None:
    project = load_project(write_config(DESIGN_EXAMPLE))
    config = project.config
    assert config.defaults.workers == "auto"
    assert config.categories["unit"].timeout == 30
    assert config.categories["e2e"].depends_on == ("unit",)
    assert config.services["redis"].command == ("redis-server", "--save", "", "--appendonly", "no")
    assert config.services["postgres"].healthcheck is not None
    assert config.services["postgres"].healthcheck.kind == "exec"
    assert config.services["postgres"].ports == (Port(5432),)
    assert not config.categories["frontend"].is_pytest
    with pytest.raises(AttributeError):
        config.categories["unit"].timeout = 5  # type: ignore[misc]


def test_profile_is_deep_merged(write_config: Write) -> None:
    config = load_project(write_config(DESIGN_EXAMPLE), "offline").config
    assert config.services["postgres"].image == "netra-offline/postgres:15"
    assert config.services["postgres"].env["POSTGRES_DB"] == "netra_test"
    assert load_project(write_config(DESIGN_EXAMPLE), "ci").config.defaults.retries == 1


def test_profile_from_environment(write_config: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETRA_PROFILE", "ci")
    project = load_project(write_config(DESIGN_EXAMPLE))
    assert project.profile == "ci"
    assert project.config.defaults.retries == 1


def test_unknown_profile_suggests(write_config: Write) -> None:
    message = error_of(write_config(DESIGN_EXAMPLE), "ofline")
    assert "unknown profile 'ofline' (did you mean 'offline'?)" in message


def test_error_inside_an_inactive_profile_points_at_the_profile(write_config: Write) -> None:
    text = DESIGN_EXAMPLE.replace("defaults: {retries: 1}", "defaults: {retries: many}")
    message = error_of(write_config(text))
    assert "categories.yaml:44: defaults.retries: expected a whole number, got 'many'" in message
    assert message.endswith("(with profile 'ci')")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "version: 1\ncategories:\n  unit:\n    pahts: [t]\n",
            "categories.yaml:4: categories.unit.pahts: unknown key (did you mean 'paths'?)",
        ),
        (
            "version: 1\ncategories:\n  unit:\n    paths: [t]\n    timeout: soon\n",
            "categories.yaml:5: categories.unit.timeout: expected seconds above 0 and at most 604800 (a week), or none, got 'soon'",
        ),
        (
            "version: 1\ncategories:\n  unit:\n    paths: tests\n",
            "categories.yaml:4: categories.unit.paths: expected a list, got 'tests'",
        ),
        (
            "version: 1\ncategories:\n  unit:\n    paths: [t]\n    workers: lots\n",
            "categories.yaml:5: categories.unit.workers: expected 'auto' or a whole number",
        ),
        (
            "version: 2\ncategories:\n  unit: {paths: [t]}\n",
            "categories.yaml:1: version: Input should be 1",
        ),
        ("categories:\n  unit: {paths: [t]}\n", "version: required key is missing"),
        ("version: 1\ncategories: {}\n", "categories.yaml:2: categories: must not be empty"),
        (
            "version: 1\ncategories:\n  unit: {description: x}\n",
            "categories.yaml:3: categories.unit: needs either 'paths' (a pytest suite) or 'command'",
        ),
        (
            "version: 1\ncategroies:\n  unit: {paths: [t]}\n",
            "categories.yaml:2: categroies: unknown key (did you mean 'categories'?)",
        ),
        (
            "version: 1\nservices:\n  db: {image: pg, healthcheck: {interval: 1}}\ncategories:\n  u: {paths: [t]}\n",
            "categories.yaml:3: services.db.healthcheck: needs exactly one of exec, tcp, http, log, docker",
        ),
        (
            "version: 1\nservices:\n  db: {image: pg, ports: [99999]}\ncategories:\n  u: {paths: [t]}\n",
            "categories.yaml:3: services.db.ports[0]: expected a container port",
        ),
        (
            "version: 1\nservices:\n  db: {image: pg, healthcheck: {log: '(unclosed'}}\ncategories:\n  u: {paths: [t]}\n",
            "services.db.healthcheck.log: not a valid regular expression",
        ),
    ],
)
def test_schema_errors_name_file_line_and_key(
    write_config: Write, text: str, expected: str
) -> None:
    assert expected in error_of(write_config(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "version: 1\ncategories:\n  a: {paths: [t], depends_on: [b]}\n  b: {paths: [t], depends_on: [a]}\n",
            "dependency cycle: a -> b -> a",
        ),
        (
            "version: 1\nservices:\n  redis: {image: r}\ncategories:\n  a: {paths: [t], services: [rediss]}\n",
            "categories.yaml:5: categories.a.services[0]: unknown service 'rediss' (did you mean 'redis'?)",
        ),
        (
            "version: 1\ncategories:\n  unit: {paths: [t]}\n  e2e: {paths: [t], depends_on: [unti]}\n",
            "categories.yaml:4: categories.e2e.depends_on[0]: unknown category 'unti' (did you mean 'unit'?)",
        ),
        (
            "version: 1\nservices:\n  r: {image: r, ports: [1], exports: {U: 'x:{port:2}'}}\ncategories:\n  a: {paths: [t]}\n",
            "services.r.exports.U: '{port:2}' is not a known placeholder",
        ),
        ("version: 1\ncategories:\n  'bad name': {paths: [t]}\n", "a name uses letters"),
    ],
)
def test_reference_errors_name_file_line_and_key(
    write_config: Write, text: str, expected: str
) -> None:
    assert expected in error_of(write_config(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "categories.yaml:1: the file is empty"),
        ("# only a comment\n", "the file is empty"),
        ("- a\n- b\n", "expected a mapping with 'version' and 'categories'"),
        (
            "version: 1\ncategories:\n\tunit: {paths: [t]}\n",
            "categories.yaml:3: a tab indents this line",
        ),
        (
            "version: 1\nversion: 1\n",
            "categories.yaml:2: version: duplicate key (first defined on line 1)",
        ),
        ("version: 1\ncategories: [unclosed\n", "invalid YAML"),
    ],
)
def test_unreadable_files(write_config: Write, text: str, expected: str) -> None:
    assert expected in error_of(write_config(text))


def test_every_problem_is_reported_at_once(write_config: Write) -> None:
    text = (
        "version: 1\ncategories:\n  a: {paths: [t], timeout: x}\n  b: {paths: [t], retries: -1}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_project(write_config(text))
    assert len(caught.value.problems) == 2


def test_env_values_become_text_and_pinned_ports_parse(write_config: Write) -> None:
    text = (
        "version: 1\nservices:\n  db:\n    image: pg\n    env: {PORT: 5432, RATIO: 0.5}\n"
        "    ports: ['15432:5432', 6379]\ncategories:\n  a: {paths: [t]}\n"
    )
    service = load_project(write_config(text)).config.services["db"]
    assert service.env == {"PORT": "5432", "RATIO": "0.5"}
    assert service.ports == (Port(5432, 15432), Port(6379))


def test_find_config_walks_upward(tmp_path: Path) -> None:
    (tmp_path / "categories.yaml").write_text("version: 1\n")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_config(deep) == tmp_path / "categories.yaml"


def test_find_config_missing(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"no categories.yaml in .* or any folder above it"):
        find_config(tmp_path)
    with pytest.raises(UsageError, match=r"--config .*nope.yaml: no such file"):
        find_config(tmp_path, tmp_path / "nope.yaml")


def test_local_settings_and_a_profiles_services_choice(write_config: Write) -> None:
    text = (
        "version: 1\nservices:\n  db:\n    image: my/pg:1\n    local: {kind: postgres, bin: pg/bin}\n"
        "categories:\n  a: {paths: [t]}\nprofiles:\n  laptop:\n    run: {services: local}\n"
    )
    project = load_project(write_config(text), "laptop")
    local = project.config.services["db"].local
    assert (local.kind, local.bin, local.command) == ("postgres", "pg/bin", None)
    assert project.run.services == "local"


@pytest.mark.parametrize(
    ("local", "message"),
    [
        ("{command: [x], kind: postgres}", "use one or the other"),
        ("{kind: mysql}", "services.db.local.kind"),
        ("{command: []}", "services.db.local.command"),
    ],
)
def test_local_mistakes_name_line_and_key(write_config: Write, local: str, message: str) -> None:
    text = f"version: 1\nservices:\n  db:\n    image: pg\n    local: {local}\ncategories:\n  a: {{paths: [t]}}\n"
    with pytest.raises(ConfigError) as caught:
        load_project(write_config(text))
    assert ":5:" in str(caught.value) and message in str(caught.value)
