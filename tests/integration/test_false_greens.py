"""A test counts as passed only when its body ran and passed: every way a run could say
"passed" (or exit 0) while a test did not pass ends in an error here, with pytest's words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import netra

PASS_AND_FAIL = "def test_ok():\n    pass\n\n\ndef test_bad():\n    assert 0\n"


def project(root: Path, categories: str, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "categories.yaml").write_text(f"version: 1\ncategories:\n{categories}")
    return root


def two_suites(root: Path) -> Path:
    return project(
        root,
        "  a: {paths: [ta], workers: 1}\n  b: {paths: [tb], workers: 1}\n"
        "  pair: {paths: [ta], workers: 2}\n",
        {"ta/test_a.py": PASS_AND_FAIL, "tb/test_b.py": "def test_b():\n    pass\n"},
    )


@pytest.mark.parametrize("option", ["--setup-only", "--setup-plan", "--fixtures"])
def test_options_that_skip_test_bodies_are_refused_after_the_separator(
    tmp_path: Path, option: str
) -> None:
    ran = netra(two_suites(tmp_path), "-c", "a", "--plain", "--", option)
    assert ran.code == 2, ran.out + ran.err
    assert f"{option} after --: pytest runs no test body with it" in ran.err


def test_a_set_up_only_run_from_the_suites_own_addopts_is_not_a_pass(tmp_path: Path) -> None:
    root = two_suites(tmp_path)
    (root / "pytest.ini").write_text("[pytest]\naddopts = --setup-only\n")
    ran = netra(root, "-c", "a", "--plain")
    assert ran.code == 1, ran.out + ran.err
    assert "0 passed" in ran.last_line and "its body never did" in ran.out


@pytest.mark.parametrize("option", ["--deselect", "--ignore", "--rootdir", "--basetemp"])
@pytest.mark.parametrize("category", ["a", "pair"])
def test_an_option_missing_its_value_never_swallows_the_categorys_paths(
    tmp_path: Path, option: str, category: str
) -> None:
    root = two_suites(tmp_path)
    ran = netra(root, "-c", category, "--plain", "--", option)
    assert ran.code == 2, ran.out + ran.err
    said = f"pytest refused its command line: argument {option}: expected one argument"
    assert said in ran.out and "1 error" in ran.last_line, ran.out
    assert "test_b" not in ran.out and (root / "ta" / "test_a.py").is_file()


def test_an_unknown_pytest_option_is_a_usage_error_with_pytests_message(tmp_path: Path) -> None:
    ran = netra(two_suites(tmp_path), "-c", "a", "--plain", "--", "--no-such-option")
    assert ran.code == 2, ran.out + ran.err
    assert "unrecognized arguments: --no-such-option" in ran.out


@pytest.mark.parametrize(
    "body", ["import os\nos._exit(0)\n", "import ctypes\nctypes.string_at(0)\n"]
)
@pytest.mark.parametrize("allow_empty", [[], ["--allow-empty"]])
def test_a_test_file_that_kills_its_process_at_import_under_xdist_is_an_error(
    tmp_path: Path, body: str, allow_empty: list[str]
) -> None:
    root = project(
        tmp_path,
        "  c: {paths: [tc]}\n",
        {"tc/test_die.py": body, "tc/test_c.py": "def test_c():\n    pass\n"},
    )
    ran = netra(root, "-c", "c", "--plain", "--workers", "2", "--xdist", *allow_empty)
    assert ran.code == 1, ran.out + ran.err
    assert "1 error" in ran.last_line


FORGER = """
import json, os, sys, time


def test_one():
    pass


def test_forger():
    path = next(a for a in sys.argv if a.startswith("--netra-events=")).split("=", 1)[1]
    with open(path, "a") as out:
        for name in ("test_forger", "test_three"):
            out.write(json.dumps({
                "t": time.time(), "event": "test_finished", "outcome": "passed",
                "nodeid": f"tf/test_forge.py::{name}", "attempt": 1, "duration": 0.0,
                "setup": 0.0, "worker": "main", "file": "tf/test_forge.py", "line": 1,
                "message": "", "details": "", "phase": "", "output": "",
            }) + "\\n")
        out.write(json.dumps({"t": time.time(), "event": "session_finished", "exitstatus": 0}))
    os._exit(0)


def test_three():
    assert 0
"""


@pytest.mark.parametrize("workers", ["1", "2"])
def test_forged_events_from_a_process_that_never_finished_its_session_are_an_error(
    tmp_path: Path, workers: str
) -> None:
    root = project(tmp_path, "  f: {paths: [tf]}\n", {"tf/test_forge.py": FORGER})
    if workers == "2":  # a history makes the category sliced: shares, no xdist
        netra(root, "-c", "f", "--plain", "--workers", "2")
        history = json.loads((root / ".netra" / "durations.json").read_text())
        assert history
    ran = netra(root, "-c", "f", "--plain", "--workers", workers)
    assert ran.code == 1, ran.out + ran.err
    assert "without writing its JUnit report" in ran.out


def test_allow_empty_never_excuses_a_selection_that_names_nothing(tmp_path: Path) -> None:
    ran = netra(two_suites(tmp_path), "--allow-empty")
    assert ran.code == 5, ran.out + ran.err
    assert "nothing selected" in ran.err and "allowed" not in ran.out + ran.err


BROKEN_CONFTEST = "from os import not_there\n"
REFUSES = (
    "def pytest_sessionstart(session):\n"
    "    raise session.Failed('a previous run crashed: remove .state first')\n"
)


@pytest.mark.parametrize(
    ("conftest", "said"),
    [
        (BROKEN_CONFTEST, "ImportError while loading conftest"),
        (REFUSES, "a previous run crashed: remove .state first"),
    ],
)
@pytest.mark.parametrize(
    "mode",
    [
        ["--plain"],
        ["--plain", "--workers", "2", "--xdist"],
        ["--co"],
        ["--budget", "90s", "--allow-empty"],
        ["--shard", "1/2", "--allow-empty"],
    ],
)
def test_a_suite_that_cannot_collect_is_an_error_with_pytests_words_in_every_mode(
    tmp_path: Path, conftest: str, said: str, mode: list[str]
) -> None:
    root = project(
        tmp_path,
        "  g: {paths: [tg]}\n",
        {"tg/conftest.py": conftest, "tg/test_g.py": "def test_g():\n    pass\n"},
    )
    ran = netra(root, "-c", "g", *mode)
    assert ran.code == 1, ran.out + ran.err
    assert said in ran.out + ran.err


FORGES_AND_FINISHES = FORGER.replace("    os._exit(0)\n", "").replace(
    '"test_forger", "test_three"', '"test_forger", "test_never_written"'
)


def test_events_that_name_a_pass_pytests_junit_never_lists_are_an_error(tmp_path: Path) -> None:
    root = project(tmp_path, "  f: {paths: [tf]}\n", {"tf/test_forge.py": FORGES_AND_FINISHES})
    ran = netra(root, "-c", "f", "--plain", "--workers", "1")
    assert ran.code == 1, ran.out + ran.err
    assert "its events and its JUnit report disagree" in ran.out
    assert "test_never_written" in ran.out
