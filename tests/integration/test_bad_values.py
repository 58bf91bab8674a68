"""Values that could only fail once a suite starts (an environment name the OS refuses, a
lone surrogate, an interpreter that is no Python, a path that is not UTF-8) fail at load or
before anything runs, naming file, line and key: never exit 4, never a run that hides it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import netra


def project(root: Path, category: str, services: str = "") -> Path:
    (root / "t").mkdir(exist_ok=True)
    (root / "t" / "test_a.py").write_text("def test_a():\n    pass\n")
    text = f"version: 1\n{services}categories:\n  u:\n    paths: [t]\n{category}"
    (root / "categories.yaml").write_text(text)
    return root


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('    markers: "\\ud800"\n', ":5: categories.u.markers: a lone surrogate (\\ud800)"),
        ('    description: "x\\udfff"\n', ":5: categories.u.description: a lone surrogate"),
        ('    env: {"\\ud800": x}\n', ":5: categories.u.env: a lone surrogate"),
        ('    env: {A: "\\ud800"}\n', ":5: categories.u.env.A: a lone surrogate"),
        ('    args: ["\\ud800"]\n', ":5: categories.u.args[0]: a lone surrogate"),
        ('    env: {"A=B": x}\n', ":5: categories.u.env.A=B: 'A=B' cannot name an environment"),
        ('    env: {"": x}\n', ":5: categories.u.env.: '' cannot name an environment"),
        ("    python: [python3, -Z]\n", ":5: categories.u.python: cannot run in"),
        ("    python: /bin/false\n", ":5: categories.u.python: cannot run in /bin/false"),
    ],
)
def test_a_value_that_fails_at_run_time_fails_at_load_with_its_line(
    tmp_path: Path, line: str, expected: str
) -> None:
    root = project(tmp_path, line)
    ran = netra(root, "-c", "u", "--plain")
    assert ran.code == 2, ran.out + ran.err
    assert f"categories.yaml{expected}" in ran.err, ran.err
    assert "Traceback" not in ran.out + ran.err


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        ('    image: "\\ud800"\n', ":4: services.s.image: a lone surrogate"),
        ('    image: x\n    env: {"B=C": x}\n', ":5: services.s.env.B=C: 'B=C' cannot name"),
        ('    image: x\n    exports: {"": x}\n', ":5: services.s.exports.: '' cannot name"),
    ],
)
def test_a_services_bad_value_names_its_line(tmp_path: Path, service: str, expected: str) -> None:
    root = project(tmp_path, "    services: [s]\n", f"services:\n  s:\n{service}")
    ran = netra(root, "-c", "u", "--plain", "--real-services")
    assert ran.code == 2, ran.out + ran.err
    assert f"categories.yaml{expected}" in ran.err, ran.err


@pytest.mark.parametrize("flag", ["--reports-dir", "--junit", "--json", "--html"])
def test_a_report_path_that_is_not_utf8_is_a_usage_error(tmp_path: Path, flag: str) -> None:
    root = project(tmp_path, "    workers: 2\n")
    name = os.fsdecode(b"r\xff")  # as the shell hands it over: a surrogate escape
    ran = netra(root, "-c", "u", "--plain", flag, name)
    assert ran.code == 2, ran.out + ran.err
    assert "\\udcff: the path holds bytes that are not UTF-8" in ran.err
    assert not (root / name).exists()


def test_doctor_with_an_external_service_says_it_is_not_started_here(tmp_path: Path) -> None:
    services = (
        "services:\n  db:\n    external: {ports: ['15432:5432']}\n    ports: [5432]\n"
        "    healthcheck: {tcp: 5432}\n"
    )
    root = project(tmp_path, "    services: [db]\n", services)
    ran = netra(root, "doctor")
    assert ran.code in (0, 2) and "Traceback" not in ran.out + ran.err, ran.out + ran.err
    assert ran.code != 4
    assert "local db" not in ran.out
    if "engine" in ran.out and "answers" in ran.out:
        assert "service db: external" in ran.out
