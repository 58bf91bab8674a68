# mypy: disallow-untyped-calls=False
# (junitparser, used to read both tools' JUnit, is only partly annotated)
"""Suites as their users wrote them: netra-run's counts, ids and timeouts against plain
pytest's on the same files, test by test."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from helpers import EXTERNAL_CACHE, PYTEST_DISTS, QUIET, XDIST_DISTS, bare_venv, copy_fixture, netra
from junitparser import Error, Failure, JUnitXml, Skipped, TestCase

# pytest's closing line ("2 failed, 9 passed, 3 skipped, 2 xfailed in 1.2s") and
# netra-run's ("netra-run: 9 passed, 2 failed, 3 skipped, 2 xfailed in 1.2s").
_COUNT = re.compile(r"(\d+) (subtests passed|passed|failed|skipped|xfailed|xpassed|errors?)\b")
WITH_AUTOLOAD = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": ""}  # pytest-timeout loads as users have it


def counts(line: str) -> dict[str, int]:
    found = {
        kind.rstrip("s") if kind.startswith("error") else kind: int(n)
        for n, kind in _COUNT.findall(line)
    }
    return {kind: n for kind, n in found.items() if n}


def plain_pytest(
    project: Path, paths: list[str], env: dict[str, str] | None = None
) -> tuple[dict[str, int], Path]:
    """Plain pytest on the same files: its closing line's counts, and its JUnit file.
    (-q: at pytest's default verbosity its closing line leaves out passed subtests.)"""
    junit = project / "plain-junit.xml"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--junitxml={junit}",
            *paths,
        ],
        cwd=project,
        env={**os.environ, **QUIET, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return counts(done.stdout.strip().splitlines()[-1]), junit


def cases(junit: Path, suite: str | None = None) -> Counter[tuple[str, str, str]]:
    """(classname, name, outcome) of every testcase, in pytest's own JUnit words."""
    found: Counter[tuple[str, str, str]] = Counter()
    for testsuite in JUnitXml.fromfile(str(junit)):
        if suite is None or testsuite.name == suite:
            for case in testsuite:
                found[(case.classname or "", case.name or "", _outcome(case))] += 1
    return found


def _outcome(case: TestCase) -> str:
    for result in case.result:
        if isinstance(result, Skipped):
            return "xfailed" if result.type == "pytest.xfail" else "skipped"
        if isinstance(result, Failure | Error):
            return type(result).__name__.lower()
    return "passed"


def without_subtests(found: Counter[tuple[str, str, str]]) -> Counter[tuple[str, str, str]]:
    return Counter({k: n for k, n in found.items() if not k[0].startswith("tests.test_subtests")})


def same_cases(ours: Counter[tuple[str, str, str]], theirs: Counter[tuple[str, str, str]]) -> None:
    assert ours == theirs, {"only netra-run": ours - theirs, "only pytest": theirs - ours}


@pytest.fixture
def outcomes(tmp_path: Path) -> Path:
    return copy_fixture("outcomes", tmp_path)


@pytest.mark.parametrize("category", ["serial", "suite"])  # one process, and xdist workers
def test_every_outcome_is_counted_as_plain_pytest_counts_it(outcomes: Path, category: str) -> None:
    """Serial pytest's counts, subtests included, also under xdist (where plain
    `pytest -n 2` miscounts: it cannot send a subtest's range to its controller)."""
    theirs, plain_junit = plain_pytest(outcomes, ["tests"])
    assert theirs["xfailed"] and theirs["xpassed"] and theirs["skipped"] >= 3  # the fixture
    ran = netra(outcomes, "--category", category, "--plain")
    assert ran.code == 1, ran.out  # a strict xpass and an odd id fail
    assert counts(ran.last_line) == theirs, ran.last_line
    report = json.loads((outcomes / "reports" / "report.json").read_text())
    assert {k: v for k, v in report["totals"].items() if v and k != "flaky"} == theirs
    # pytest's JUnit folds a failed subtest into its test's testcase; netra-run's gives it
    # a testcase of its own. Every other testcase is the same.
    same_cases(
        without_subtests(cases(outcomes / "reports" / "junit.xml")),
        without_subtests(cases(plain_junit)),
    )
    # The module-level skips are there with their reasons, as pytest's JUnit has them.
    skipped = {
        t["id"]: t["message"] for t in report["categories"][0]["tests"] if t["outcome"] == "skipped"
    }
    assert "could not import 'a_module_nobody_installed'" in skipped["tests/test_importorskip.py"]
    assert skipped["tests/test_module_skip.py"] == "not on this machine"
    failed = {
        t["id"]: t.get("parent")
        for t in report["categories"][0]["tests"]
        if t["outcome"] == "failed"
    }
    parent = "tests/test_subtests.py::TestWithSubTest::test_numbers"
    assert failed[f"{parent} (number=2)"] == parent
    assert "tests/test_subtests.py::test_with_the_fixture [last]" in failed


def test_ids_with_separators_survive_in_every_report_and_the_history(outcomes: Path) -> None:
    listed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_ids.py",
        ],
        cwd=outcomes,
        env={**os.environ, **QUIET},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    ids = {line for line in listed if "::" in line}
    assert len(ids) == 11
    ran = netra(outcomes, "--category", "serial", "--plain")
    report = json.loads((outcomes / "reports" / "report.json").read_text())
    reported = {t["id"] for t in report["categories"][0]["tests"]}
    assert ids <= reported
    history = json.loads((outcomes / ".netra" / "durations.json").read_text())["tests"]
    assert ids <= set(history)
    # JUnit: the parameters whole in the name, as pytest's own JUnit names them.
    names = {(c, n) for c, n, _ in cases(outcomes / "reports" / "junit.xml")}
    assert ("tests.test_ids", "test_odd_ids[a::b]") in names
    assert ("tests.test_ids.TestInClass", "test_method[c::d]") in names
    assert ("tests.test_ids", "test_odd_ids[a]::[b]") in names
    # --last-failed runs exactly the failures again, odd ids included.
    bad = [t for t in report["categories"][0]["tests"] if t["outcome"] == "failed"]
    failed = {t["id"] for t in bad}
    assert "tests/test_ids.py::test_odd_ids[::]" in failed, ran.out
    again = netra(outcomes, "--category", "serial", "--last-failed", "--plain")
    rerun = json.loads((outcomes / "reports" / "report.json").read_text())
    # A failed subtest runs again as its test, which reports its own outcome too.
    parents = {t["parent"] for t in bad if "parent" in t}
    assert {t["id"] for t in rerun["categories"][0]["tests"]} == failed | parents, again.out


def test_shards_of_odd_ids_add_up_to_the_whole_run(outcomes: Path) -> None:
    for index in (1, 2):
        netra(
            outcomes,
            "--category",
            "serial",
            "--shard",
            f"{index}/2",
            "--plain",
            "--reports-dir",
            f"shard{index}",
        )
    merged = netra(outcomes, "report", "merge", "shard1", "shard2", "--output", "merged")
    assert "shards:" not in merged.out, merged.out
    whole = netra(outcomes, "--category", "serial", "--plain", "--reports-dir", "whole")

    def ids(folder: str) -> set[str]:
        report = json.loads((outcomes / folder / "report.json").read_text())
        return {t["id"] for t in report["categories"][0]["tests"]}

    # A module skipped at import holds no test id to give a shard: only the whole run
    # counts it (a gap the closing note names).
    assert ids("merged") == {i for i in ids("whole") if "::" in i}, whole.out
    assert not cases(outcomes / "merged" / "junit.xml") - cases(outcomes / "whole" / "junit.xml")


def test_the_suites_own_pytest_timeout_settings_win_where_stricter(tmp_path: Path) -> None:
    project = copy_fixture("timeouts", tmp_path)
    theirs, plain_junit = plain_pytest(project, ["tests/test_own_limits.py"], WITH_AUTOLOAD)
    assert theirs == {"passed": 1, "failed": 2}
    ran = netra(project, "--all", "--plain", env=WITH_AUTOLOAD)
    junit = project / "reports" / "junit.xml"
    same_cases(cases(junit, "suite"), cases(plain_junit))
    report = json.loads((project / "reports" / "report.json").read_text())
    by_category = {c["name"]: c for c in report["categories"]}
    messages = {t["id"]: t.get("message", "") for t in by_category["suite"]["tests"]}
    assert (
        "Timeout (>2.0s) from pytest-timeout"
        in messages["tests/test_own_limits.py::test_past_the_ini_timeout"]
    ), ran.out
    assert "Timeout (>1.0s)" in messages["tests/test_own_limits.py::test_past_its_marker"]
    # netra-run's 0.5 s is stricter than the ini's 2 s: it fires, in its own words.
    tight = by_category["tight"]["tests"][0]
    assert tight["outcome"] == "failed" and tight["message"] == "timeout after 0.5s"
    # timeout: none turns netra-run's own timer off; the suite's 2 s allows 1.5 s.
    assert by_category["untimed"]["status"] == "passed", ran.out
    # pytest-timeout's thread method ends the whole process: that test fails as a crash,
    # with pytest-timeout's dump, and the rest of the suite still runs.
    threaded = {t["id"].rsplit("::", 1)[1]: t for t in by_category["threaded"]["tests"]}
    ended = threaded["test_ended_by_pytest_timeouts_thread"]
    assert ended["outcome"] == "failed" and "worker crashed" in ended["message"]
    assert "Timeout" in ended["output"]
    assert threaded["test_after_it"]["outcome"] == "passed"


def test_timeout_none_is_accepted_and_other_words_are_refused(tmp_path: Path) -> None:
    project = copy_fixture("timeouts", tmp_path)
    config = project / "categories.yaml"
    config.write_text(config.read_text().replace("timeout: none", "timeout: never"))
    ran = netra(project, "--all", "--plan")
    assert ran.code == 2
    assert "categories.yaml:15: categories.untimed.timeout: expected seconds" in ran.err
    assert "or none, got 'never'" in ran.err


@pytest.fixture
def two_envs(tmp_path: Path) -> Path:
    """A project whose categories each name a virtualenv without netra-run in it."""
    project = tmp_path / "monorepo"
    (project / "tests").mkdir(parents=True)
    bare_venv(project / "svc-a" / ".venv")
    bare_venv(project / "svc-b" / ".venv", dists=(*PYTEST_DISTS, *XDIST_DISTS))
    (project / "tests" / "test_where.py").write_text(
        "import importlib.util, os, sys\n"
        "def test_runs_in_its_own_venv():\n"
        "    assert sys.prefix == os.environ['VIRTUAL_ENV'], sys.prefix\n"
        "    assert os.environ['NETRA_CATEGORY'] in sys.prefix\n"
        "def test_sees_nothing_of_netra_runs_environment():\n"
        "    assert importlib.util.find_spec('rich') is None\n"
        "def test_flags_reach_the_interpreter():\n"
        "    assert sys.flags.dev_mode == (os.environ['NETRA_CATEGORY'] == 'svc-b')\n"
    )
    (project / "categories.yaml").write_text(
        "version: 1\n"
        "categories:\n"
        "  svc-a:\n"
        "    paths: [tests]\n"
        "    python: svc-a/.venv\n"
        "    workers: 2\n"
        "  svc-b:\n"
        "    paths: [tests]\n"
        "    python: [svc-b/.venv/bin/python, -X, dev]\n"
        "    workers: 2\n"
    )
    return project


def test_each_category_runs_in_the_interpreter_it_names(two_envs: Path) -> None:
    ran = netra(two_envs, "--all", "--plain")
    assert ran.code == 0, ran.out + ran.err
    assert ran.last_line.startswith("netra-run: 6 passed, 0 failed, 0 skipped")
    assert "svc-a: " in ran.out and "has no pytest-xdist; it runs in one process" in ran.out
    report = json.loads((two_envs / "reports" / "report.json").read_text())
    workers = {c["name"]: c["workers"] for c in report["categories"]}
    assert workers == {"svc-a": 1, "svc-b": 2}
    doctor = netra(two_envs, "doctor")
    assert "python for svc-a:" in doctor.out and "no pytest-xdist" in doctor.out
    assert re.search(r"ok +python for svc-b: .*pytest-xdist \d", doctor.out), doctor.out


def test_an_interpreter_without_pytest_is_exit_2_before_anything_runs(two_envs: Path) -> None:
    bare_venv(two_envs / "svc-c" / ".venv", dists=())
    config = two_envs / "categories.yaml"
    config.write_text(
        config.read_text() + "  svc-c:\n    paths: [tests]\n    python: svc-c/.venv\n"
    )
    ran = netra(two_envs, "--all", "--plain")
    assert ran.code == 2
    assert "categories.svc-c.python: cannot run in" in ran.err and "it has no pytest" in ran.err
    assert not (two_envs / "reports" / "report.json").exists()
    doctor = netra(two_envs, "doctor")
    assert doctor.code == 2 and "FAIL python for svc-c" in doctor.out


def test_a_missing_interpreter_is_a_config_error_with_its_line(two_envs: Path) -> None:
    config = two_envs / "categories.yaml"
    config.write_text(config.read_text().replace("python: svc-a/.venv", "python: svc-a/venv"))
    ran = netra(two_envs, "--all")
    assert ran.code == 2
    assert "categories.yaml:5: categories.svc-a.python: no interpreter 'svc-a/venv'" in ran.err


ALL_SKIPPED = (
    """\
version: 1
"""
    + EXTERNAL_CACHE
    + """\
categories:
  cache:
    paths: [tests/test_cache.py]
    services: [cache]
  unit:
    paths: [tests/test_unit.py]
"""
)

CACHE_TESTS = """\
import os

import pytest

# The export is REDIS_URL: a misspelt name skips every test instead of failing one.
needs_redis = pytest.mark.skipif(not os.environ.get("REDIS_URI"), reason="REDIS_URI is not set")


@needs_redis
@pytest.mark.parametrize("n", range(5))
def test_cache(n):
    pass


@pytest.mark.skip(reason="flaky upstream")
def test_other():
    pass
"""


def _all_skipped_project(tmp_path: Path, port: int) -> Path:
    (tmp_path / "tests").mkdir()
    (tmp_path / "categories.yaml").write_text(ALL_SKIPPED.format(port=port))
    (tmp_path / "tests" / "test_cache.py").write_text(CACHE_TESTS)
    (tmp_path / "tests" / "test_unit.py").write_text("def test_unit():\n    pass\n")
    return tmp_path


def test_a_run_whose_every_test_skipped_is_exit_5(tmp_path: Path, listening_port: int) -> None:
    project = _all_skipped_project(tmp_path, listening_port)
    ran = netra(project, "--category", "cache", "--real-services", "--plain")
    assert ran.code == 5, ran.out + ran.err
    assert "cache: all 6 of its tests were skipped; most often: REDIS_URI is not set" in ran.out
    assert "nothing ran: every selected test was skipped" in ran.out
    assert ran.last_line.startswith("netra-run: 0 passed, 0 failed, 6 skipped")
    allowed = netra(project, "--category", "cache", "--real-services", "--allow-empty")
    assert allowed.code == 0, allowed.out


def test_an_all_skipped_category_is_called_out_in_a_run_that_ran(
    tmp_path: Path, listening_port: int
) -> None:
    project = _all_skipped_project(tmp_path, listening_port)
    ran = netra(project, "--all", "--real-services", "--plain")
    assert ran.code == 0, ran.out + ran.err
    assert "cache: all 6 of its tests were skipped; most often: REDIS_URI is not set" in ran.out


def test_the_plan_shows_each_categorys_environment(tmp_path: Path, listening_port: int) -> None:
    project = _all_skipped_project(tmp_path, listening_port)
    config = project / "categories.yaml"
    config.write_text(
        config.read_text()
        + "    env:\n      MODE: fast\n      API_TOKEN: tok-123456\n"
        + "      DSN: host=db user=app password=pw-98765\n"
    )
    ran = netra(project, "--all", "--real-services", "--plan")
    assert ran.code == 0, ran.err
    assert "env: exports REDIS_URL" in ran.out
    assert "own MODE=fast API_TOKEN=****** DSN=host=db user=app password=******" in ran.out
    assert "tok-123456" not in ran.out and "pw-98765" not in ran.out


def test_masking_hides_a_dsn_password_and_keeps_its_keys(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "categories.yaml").write_text(
        "version: 1\ncategories:\n  db:\n    paths: [tests]\n"
        "    env: {DB_PASSWORD: password, DSN: 'host=db user=postgres password=password'}\n"
    )
    (tmp_path / "tests" / "test_dsn.py").write_text(
        "import os\ndef test_prints_its_dsn():\n"
        "    print('connecting with', os.environ['DSN'])\n    assert False\n"
    )
    ran = netra(tmp_path, "--all", "--plain")
    assert ran.code == 1
    assert "connecting with host=db user=postgres password=******" in ran.out, ran.out
    assert "******=" not in ran.out
