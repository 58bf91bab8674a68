"""The command line a pytest user types, through the real command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import EXTERNAL_CACHE, netra

CONFIG = (
    """\
version: 1
"""
    + EXTERNAL_CACHE
    + """\
categories:
  unit:
    paths: [tests/unit]
    workers: 1
  api:
    paths: [tests/api]
    workers: 1
  cache:
    paths: [linked]
    services: [cache]
    args: ["--redis-url={{REDIS_URL}}"]
    workers: 1
"""
)

UNIT = """\
import time

def test_one():
    pass

def test_two():
    assert False, "two is wrong"

def test_three():
    time.sleep(0.05)

def test_four():
    assert False, "four is wrong"
"""

CONFTEST = """\
def pytest_addoption(parser):
    parser.addoption("--redis-url", default=None)
"""

CACHE = """\
def test_reads_its_option(request):
    assert request.config.getoption("--redis-url").startswith("redis://127.0.0.1:")

def test_other():
    pass
"""


@pytest.fixture
def project(tmp_path: Path, listening_port: int) -> Path:
    (tmp_path / "categories.yaml").write_text(CONFIG.format(port=listening_port))
    for folder, text in (("unit", UNIT), ("api", "def test_api():\n    pass\n")):
        (tmp_path / "tests" / folder).mkdir(parents=True)
        (tmp_path / "tests" / folder / f"test_{folder}.py").write_text(text)
    real = tmp_path / "services" / "cache_tests"
    real.mkdir(parents=True)
    (real / "conftest.py").write_text(CONFTEST)
    (real / "test_cache.py").write_text(CACHE)
    (tmp_path / "linked").symlink_to(real)
    return tmp_path


def report(project: Path) -> dict[str, list[str]]:
    data = json.loads((project / "reports" / "report.json").read_text())
    return {c["name"]: [t["id"] for t in c["tests"]] for c in data["categories"] if c["tests"]}


def test_positional_paths_and_node_ids_run_exactly_those(project: Path) -> None:
    ran = netra(project, "tests/unit/test_unit.py::test_one", "tests/api", "--plain")
    assert ran.code == 0, ran.out + ran.err
    assert report(project) == {
        "unit": ["tests/unit/test_unit.py::test_one"],
        "api": ["tests/api/test_api.py::test_api"],
    }


def test_file_takes_node_ids_and_paths_resolve_through_symlinks(project: Path) -> None:
    real = "services/cache_tests/test_cache.py::test_other"
    ran = netra(project, "--file", real, "--real-services", "--plain")
    assert ran.code == 0, ran.out + ran.err
    # Spelled as the category spells its path, so the id is the one a whole run gives.
    assert report(project) == {"cache": ["linked/test_cache.py::test_other"]}


def test_a_path_held_by_no_category_is_exit_2_naming_the_closest(project: Path) -> None:
    (project / "tests" / "unitx").mkdir()
    ran = netra(project, "tests/unitx")
    assert ran.code == 2
    assert "tests/unitx is not under the paths of the selected categories" in ran.err
    assert "the closest category paths: tests/unit (unit)" in ran.err


def test_args_after_the_double_dash_reach_every_pytest_suite(project: Path) -> None:
    ran = netra(project, "-c", "unit", "--plain", "--", "-k", "one or three")
    assert ran.code == 0, ran.out
    assert sorted(report(project)["unit"]) == [
        "tests/unit/test_unit.py::test_one",
        "tests/unit/test_unit.py::test_three",
    ]


def test_a_categorys_args_are_filled_with_its_services_exports(project: Path) -> None:
    ran = netra(project, "-c", "cache", "--real-services", "--plain")
    assert ran.code == 0, ran.out + ran.err
    assert ran.last_line.startswith("netra-run: 2 passed")


def test_pytest_spellings_mean_what_they_mean_in_pytest(project: Path) -> None:
    first = netra(project, "-c", "unit", "--plain", "--junitxml", "out/j.xml", "-n", "0")
    assert first.code == 1 and (project / "out" / "j.xml").is_file()
    again = netra(project, "-c", "unit", "--lf", "--plain")
    assert sorted(report(project)["unit"]) == [
        "tests/unit/test_unit.py::test_four",
        "tests/unit/test_unit.py::test_two",
    ], again.out
    ordered = netra(project, "-c", "unit", "--ff", "-v", "--plain")
    finished = [line.split()[-2] for line in ordered.out.splitlines() if "[unit]" in line]
    assert finished[:2] == [
        "tests/unit/test_unit.py::test_two",
        "tests/unit/test_unit.py::test_four",
    ], ordered.out
    stopped = netra(project, "-c", "unit", "--maxfail", "1", "--plain")
    assert stopped.code == 1
    assert "1 failed" in stopped.last_line and "2 failed" not in stopped.last_line


def test_durations_lists_the_slowest_n_that_took_time(project: Path) -> None:
    ran = netra(project, "-c", "unit", "--durations", "1", "--plain")
    assert "1 slowest tests" in ran.out
    assert "tests/unit/test_unit.py::test_three" in ran.out.split("1 slowest tests")[1]


def test_collect_only_lists_every_selected_test_with_its_services(project: Path) -> None:
    ran = netra(project, "--all", "--co")
    assert ran.code == 0, ran.err
    assert "unit: 4 tests (services: none)" in ran.out
    assert "cache: 2 tests (services: cache); it would be skipped" in ran.out
    assert "  linked/test_cache.py::test_reads_its_option" in ran.out
    assert ran.last_line == "netra-run: 7 tests in 3 categories"
    as_json = netra(project, "--collect-only", "--format", "json", "tests/api")
    data = json.loads(as_json.out)
    assert data["tests"] == 1 and data["categories"][0]["tests"] == [
        "tests/api/test_api.py::test_api"
    ]
    assert not (project / "reports" / "report.json").exists()  # nothing ran


def test_collect_only_of_nothing_is_exit_5(project: Path) -> None:
    ran = netra(project, "-c", "api", "--co", "-k", "nothing_matches_this")
    assert ran.code == 5, ran.out
    assert ran.last_line == "netra-run: 0 tests in 1 category"


def test_a_pytest_only_option_says_to_pass_it_after_the_double_dash(project: Path) -> None:
    ran = netra(project, "-c", "unit", "-s")
    assert ran.code == 2
    assert "-s is pytest's option, not netra-run's; pass pytest options after --" in ran.err
