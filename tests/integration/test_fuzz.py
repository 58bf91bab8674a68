"""Hostile input, generated: mutated configs and flag lists never crash netra-run.

Every case must end in a clear answer: never exit 4, never a traceback, every config error
naming its file and line, and each case within a few seconds (hypothesis's deadline).
Seeded (derandomize), so a failure found once is found again.
"""

from __future__ import annotations

import functools
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from typer.testing import CliRunner

from netra_runner.cli.app import app
from netra_runner.errors import ExitCode
from netra_runner.options import RunOptions
from netra_runner.workflow import CRASH_LOG, execute

VALID = """\
version: 1
defaults: &base {timeout: 30, retries: 0, workers: auto}
services:
  redis:
    image: redis:7-alpine
    command: [redis-server, --save, ""]
    ports: [6379]
    healthcheck: {exec: [redis-cli, ping], interval: 0.1}
    exports: {REDIS_URL: "redis://{host}:{port:6379}/0"}
categories:
  unit:
    <<: *base
    description: Fast tests
    paths: [tests/unit]
    markers: not slow
  api:
    paths: [tests/api]
    services: [redis]
    depends_on: [unit]
    env: {MODE: test}
  frontend:
    command: [python, -c, "pass"]
profiles:
  ci: {defaults: {retries: 1}, run: {plain: true}}
"""

HOSTILE = [
    "\x00",
    "\x1b[31m",
    "\t",
    "\xff",
    "[/]",
    "[link=x]",
    "&a",
    "*a",
    "*b",
    "<<: *a",
    "{",
    "}",
    "[",
    "]",
    ":",
    "- ",
    "!!python/object:os.system",
    "9" * 5000,
    "1e308",
    ".inf",
    ".nan",
    "a{99999999999}",
    "((",
    "~",
    "'",
    '"',
    "\\",
    "\u202e",
    "🙂",
    "\n  ",
    "\n",
    "#",
    "? ",
    "[" * 60,
    "2024-13-45",
    "0x",
    "-1",
    "99999999999999999999",
    '"\\ud800"',  # a lone surrogate, as YAML's escape writes it
    "\ud800",  # and as a value in the data
    '"x\\udfff"',
    '"A=B"',  # values the OS refuses only when a suite starts
    '""',
    "[python3, -Z]",
    "/bin/false",
]
LINE = re.compile(r"categories\.yaml:\d+: ")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("fuzz")
    for folder in ("tests/unit", "tests/api"):
        (root / folder).mkdir(parents=True)
        (root / folder / "test_x.py").write_text("def test_one():\n    pass\n")
    (root / "categories.yaml").write_text(VALID)
    yield root


def mutate_text(text: str, data: st.DataObject) -> str:
    for _ in range(data.draw(st.integers(1, 4))):
        where = data.draw(st.integers(0, len(text)))
        kind = data.draw(st.sampled_from(["insert", "delete", "replace", "repeat"]))
        piece = data.draw(st.sampled_from(HOSTILE) | st.text(max_size=8))
        end = min(len(text), where + data.draw(st.integers(0, 30)))
        if kind == "insert":
            text = text[:where] + piece + text[where:]
        elif kind == "delete":
            text = text[:where] + text[end:]
        elif kind == "replace":
            text = text[:where] + piece + text[end:]
        else:
            text = text[:where] + text[where:end] * data.draw(st.integers(2, 50)) + text[end:]
    return text


VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.sampled_from(HOSTILE),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def mutate_data(data: st.DataObject) -> str:
    """A valid config with one value somewhere replaced by anything YAML can hold."""
    config = yaml.safe_load(VALID)
    node = config
    for _ in range(data.draw(st.integers(0, 3))):
        if not isinstance(node, dict) or not node:
            break
        key = data.draw(st.sampled_from(sorted(node)))
        if not isinstance(node[key], dict):
            break
        node = node[key]
    key = data.draw(st.sampled_from(sorted(node)) | st.text(max_size=6))
    node[key] = data.draw(VALUES)
    return yaml.safe_dump(config, allow_unicode=True)


def check(project: Path, code: int, text: str) -> None:
    crash = project / "reports" / CRASH_LOG
    assert code != ExitCode.INTERNAL, crash.read_text() if crash.exists() else text
    assert "Traceback" not in text
    for line in text.splitlines():
        if "categories.yaml" in line and line.startswith("netra-run: error: /"):
            assert LINE.search(line), line  # a config error names its line


@settings(
    max_examples=200,
    deadline=5000,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_mutated_configs_get_an_answer_with_a_line(project: Path, data: st.DataObject) -> None:
    text = (data.draw(st.booleans()) and mutate_data(data)) or mutate_text(VALID, data)
    # "\xff" among HOSTILE becomes a raw 0xff byte: a file that is not UTF-8
    encoded = text.encode("utf-8", "surrogatepass").replace(b"\xc3\xbf", b"\xff")
    (project / "categories.yaml").write_bytes(encoded)
    out, err = io.StringIO(), io.StringIO()
    for options in (
        RunOptions(all=True, plan=True, cwd=project),
        RunOptions(list=True, cwd=project),
    ):
        code = execute(
            functools.partial(lambda o: o, options),
            Console(file=out, width=100),
            Console(file=err, width=100),
        )
        check(project, code, out.getvalue() + err.getvalue())


SWITCHES = [
    "--all",
    "--list",
    "--plan",
    "--allow-empty",
    "--no-deps",
    "--plain",
    "-v",
    "-q",
    "--failed-first",
    "--last-failed",
    "-x",
    "--keep-services",
    "--changed",
]
TAKE_VALUES = [
    "-c",
    "--category",
    "-k",
    "-m",
    "--file",
    "--shard",
    "--budget",
    "--workers",
    "-n",
    "--timeout",
    "--retries",
    "--reports-dir",
    "--junit",
    "--json",
    "--html",
    "--profile",
    "--services",
    "--config",
]
FLAG_VALUES = [
    "unit",
    "api",
    "nope",
    "unit,api",
    "1/2",
    "3/2",
    "0/0",
    "1/99999999999999999999",
    "2/2",
    "auto",
    "0",
    "²",
    "-1",
    "1e308",
    "inf",
    "nan",
    "90s",
    "2m",
    "/proc/x.json",
    "/proc/1/x",
    "tests",
    "tests/unit",
    "tests/unit/test_x.py",
    "missing.py",
    "((",
    "🙂",
    "not slow",
    "ci",
    "local",
    "[/]",
    "",
    "x" * 300,
    "reports/x.json",
    os.fsdecode(b"r\xff"),  # a path that is not UTF-8, as the shell hands it over
    os.fsdecode(b"x\xff.xml"),
]


@settings(
    max_examples=60,
    deadline=15000,  # some cases run the two-test suite for real
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    pairs=st.lists(
        st.tuples(st.sampled_from(TAKE_VALUES), st.sampled_from(FLAG_VALUES))
        | st.tuples(st.sampled_from(SWITCHES)),
        min_size=1,
        max_size=5,
    ),
    stray=st.lists(st.sampled_from(FLAG_VALUES), max_size=1),
)
def test_flag_lists_get_an_answer(
    project: Path,
    pairs: list[tuple[str, ...]],
    stray: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (project / "categories.yaml").write_text(VALID)
    monkeypatch.chdir(project)
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    args = [part for pair in pairs for part in pair] + stray
    result = CliRunner().invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    check(project, result.exit_code, result.output)
