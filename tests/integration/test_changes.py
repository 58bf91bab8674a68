"""--changed and --changed-since on a real git repository with an import chain."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gitrepo import IDENTITY, git, make_repo
from helpers import netra


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path)


def ran_ids(repo: Path) -> list[str]:
    data = json.loads((repo / "reports" / "report.json").read_text())
    return sorted(
        t["id"] for c in data["categories"] for t in c["tests"] if t["outcome"] != "not run"
    )


def test_a_changed_module_selects_the_tests_that_import_it_directly_or_not(repo: Path) -> None:
    (repo / "app" / "core.py").write_text("def answer():\n    return 6 * 7\n")
    ran = netra(repo, "--changed")
    assert ran.code == 0, ran.out + ran.err
    assert ran_ids(repo) == [
        "tests/api/test_api.py::test_api",
        "tests/unit/test_core.py::test_core",
    ]
    plan = netra(repo, "--changed", "--plan")
    assert (
        "run  unit (--all; touched by the change (tests/unit/test_core.py: imports app/core.py))"
        in plan.out
    )
    assert (
        "run  api (--all; touched by the change (tests/api/test_api.py: imports app/core.py))"
        in plan.out
    )


def test_a_changed_test_module_selects_itself(repo: Path) -> None:
    (repo / "tests" / "unit" / "test_new.py").write_text("def test_new():\n    assert True\n")
    ran = netra(repo, "--changed", "-c", "unit", "-c", "api")
    assert ran_ids(repo) == ["tests/unit/test_new.py::test_new"]
    assert ran.code == 0


def test_the_config_changing_selects_everything(repo: Path) -> None:
    with (repo / "categories.yaml").open("a") as config:
        config.write("# a comment\n")
    ran = netra(repo, "--changed", "--plan")
    assert "categories.yaml changed: everything" in ran.out
    assert "run  unit" in ran.out and "run  api" in ran.out


def test_changes_since_a_ref_include_commits(repo: Path) -> None:
    (repo / "app" / "api.py").write_text(
        "from .core import answer\n\n\ndef handler():\n    return answer() + 0\n"
    )
    git(repo, *IDENTITY, "commit", "-qam", "api")
    assert netra(repo, "--changed").code == 5  # nothing in the working tree
    ran = netra(repo, "--changed-since", "HEAD~1")
    assert ran.code == 0
    assert ran_ids(repo) == ["tests/api/test_api.py::test_api"]


def test_a_change_no_test_depends_on_runs_nothing_and_says_so(repo: Path) -> None:
    (repo / "README.md").write_text("changed\n")
    ran = netra(repo, "--changed")
    assert ran.code == 5
    assert "nothing to run touched by the change" in ran.err


def test_netra_runs_own_state_is_no_change_of_the_code(repo: Path) -> None:
    # A command suite from the root holds every file: a history that every run rewrites
    # would select it each time.
    (repo / "categories.yaml").write_text(
        (repo / "categories.yaml").read_text() + "  lint: {command: [python, -c, 'pass']}\n"
    )
    history = repo / ".netra" / "durations.json"
    history.parent.mkdir()
    history.write_text("{}\n")
    git(repo, "add", "-f", "-A")
    git(repo, *IDENTITY, "commit", "-qm", "history")
    history.write_text('{"version": 1}\n')
    ran = netra(repo, "--changed")
    assert ran.code == 5 and "no file changed in the working tree" in ran.err, ran.out + ran.err


def test_an_unknown_ref_is_a_usage_error(repo: Path) -> None:
    ran = netra(repo, "--changed-since", "no-such-branch")
    assert ran.code == 2
    assert "--changed-since no-such-branch: no such commit, branch or tag" in ran.err
