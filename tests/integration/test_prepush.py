"""The pre-push check end to end: profiles, --budget, --allow-empty, and a real git push."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from gitrepo import IDENTITY, git, make_repo
from helpers import QUIET, netra
from test_changes import ran_ids


def test_the_ci_profile_ships_retries_and_plain_output(mixed: Path) -> None:
    plan = netra(mixed, "-c", "passing", "--plan", "--profile", "ci")
    assert "--netra-retries=1" in plan.out
    mine = netra(mixed, "-c", "passing", "--plan", "--profile", "nope")
    assert mine.code == 2 and "unknown profile 'nope'" in mine.err and "ci, pre-push" in mine.err


def test_a_budget_runs_failures_then_the_fastest_and_says_what_it_left_out(mixed: Path) -> None:
    durations = {
        "tests/failing/test_mixed.py::test_wrong": 50.0,
        "tests/failing/test_mixed.py::test_fine": 1.0,
        "tests/failing/test_mixed.py::test_later": 2.0,
        "tests/passing/test_ok.py::test_one": 3.0,
        "tests/passing/test_ok.py::test_two": 40.0,
        "tests/passing/test_ok.py::test_sees_category": 45.0,
    }
    (mixed / ".netra").mkdir()
    (mixed / ".netra" / "durations.json").write_text(
        json.dumps({"version": 1, "tests": {k: {"d": v} for k, v in durations.items()}})
    )
    (mixed / "reports").mkdir()
    (mixed / "reports" / "report.json").write_text(
        json.dumps(
            {
                "version": 1,
                "categories": [
                    {
                        "name": "failing",
                        "tests": [
                            {"id": "tests/failing/test_mixed.py::test_wrong", "outcome": "failed"}
                        ],
                    }
                ],
            }
        )
    )
    ran = netra(mixed, "-c", "failing", "-c", "passing", "--budget", "60s", "-n", "1")
    assert ran.out.splitlines()[0] == (
        "budget 60s: running 4 of 6 tests (about 56s); left out 2 (about 85s more), the slowest: "
        "tests/passing/test_ok.py::test_two, tests/passing/test_ok.py::test_sees_category"
    )
    assert ran_ids(mixed) == sorted(
        [
            "tests/failing/test_mixed.py::test_wrong",
            "tests/failing/test_mixed.py::test_fine",
            "tests/failing/test_mixed.py::test_later",
            "tests/passing/test_ok.py::test_one",
        ]
    )
    # What the budget left out is listed as not run, and the closing line counts it.
    report = json.loads((mixed / "reports" / "report.json").read_text())
    left = {t["id"]: t for c in report["categories"] for t in c["tests"]}
    assert left["tests/passing/test_ok.py::test_two"]["outcome"] == "not run"
    assert left["tests/passing/test_ok.py::test_two"]["message"] == "over the 60s budget"
    assert ", 2 not run in " in ran.last_line, ran.last_line


def test_a_budget_no_test_fits_is_an_error_even_where_empty_is_allowed(mixed: Path) -> None:
    (mixed / ".netra").mkdir()
    slow = {"d": 500.0}
    ids = ["tests/passing/test_ok.py::" + n for n in ("test_one", "test_two", "test_sees_category")]
    (mixed / ".netra" / "durations.json").write_text(
        json.dumps({"version": 1, "tests": dict.fromkeys(ids, slow)})
    )
    ran = netra(mixed, "-c", "passing", "--budget", "60s", "--allow-empty")
    assert ran.code == 5, ran.out + ran.err
    assert "none of the 3 tests selected fits the 60s budget" in ran.err
    assert "allowed" not in ran.out + ran.err


@pytest.fixture
def pushed(tmp_path: Path) -> Path:
    """A clone with an upstream, the FILES project in it, and a pre-push hook of its own."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    repo = make_repo(tmp_path / "repo")
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "-u", "origin", "main")
    own = repo / ".git" / "hooks" / "pre-push"
    own.write_text('#!/bin/sh\ncat > "$(git rev-parse --show-toplevel)/own-hook-ran"\n')
    own.chmod(0o755)
    return repo


def push(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **QUIET, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    return subprocess.run(
        ["git", "push", "-q", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_pre_push_hook_runs_what_the_push_touches_and_keeps_the_old_hook(pushed: Path) -> None:
    installed = netra(pushed, "hooks", "install")
    assert installed.code == 0
    assert "the existing hook runs first (kept as pre-push.netra-previous)" in installed.out
    assert "updated" in netra(pushed, "hooks", "install").out  # installing twice is harmless
    (pushed / "app" / "core.py").write_text("def answer():\n    return 6 * 7\n")
    git(pushed, *IDENTITY, "commit", "-qam", "core")
    done = push(pushed)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "refs/heads/main" in (pushed / "own-hook-ran").read_text()  # it got git's input
    assert ran_ids(pushed) == [
        "tests/api/test_api.py::test_api",
        "tests/unit/test_core.py::test_core",
    ]


def test_a_push_that_breaks_a_test_is_stopped(pushed: Path) -> None:
    assert netra(pushed, "hooks", "install").code == 0
    (pushed / "app" / "core.py").write_text("def answer():\n    return 41\n")
    git(pushed, *IDENTITY, "commit", "-qam", "broken")
    done = push(pushed)
    assert done.returncode != 0
    assert "test_core" in done.stdout + done.stderr


def test_a_push_touching_no_test_goes_through(pushed: Path) -> None:
    assert netra(pushed, "hooks", "install").code == 0
    (pushed / "README.md").write_text("docs only\n")
    git(pushed, *IDENTITY, "commit", "-qam", "docs")
    done = push(pushed)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "nothing to run touched by the change (allowed: exit 0)" in done.stdout


def test_a_new_branch_pushes_through_the_hook_and_runs_what_it_changed(pushed: Path) -> None:
    assert netra(pushed, "hooks", "install").code == 0
    git(pushed, "checkout", "-q", "-b", "feature")
    (pushed / "app" / "api.py").write_text(
        "from .core import answer\n\n\ndef handler():\n    return answer() + 0\n"
    )
    git(pushed, *IDENTITY, "commit", "-qam", "api")
    done = push(pushed, "-u", "origin", "feature")
    assert done.returncode == 0, done.stdout + done.stderr
    assert ran_ids(pushed) == ["tests/api/test_api.py::test_api"]  # against main, not all


def test_a_repositorys_first_push_runs_the_budgeted_set(tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    repo = make_repo(tmp_path / "repo")
    git(repo, "remote", "add", "origin", str(remote))
    assert netra(repo, "hooks", "install").code == 0
    done = push(repo, "-u", "origin", "main")
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(ran_ids(repo)) == 3  # nothing to compare with: everything, in the budget


def test_deleting_a_branch_runs_nothing_and_goes_through(pushed: Path) -> None:
    git(pushed, "push", "-q", "origin", "main:old")
    assert netra(pushed, "hooks", "install").code == 0
    done = push(pushed, "origin", "--delete", "old")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "nothing to run" in done.stdout


def test_without_an_upstream_the_profile_still_runs(pushed: Path) -> None:
    git(pushed, "checkout", "-q", "-b", "local-only")
    (pushed / "tests" / "unit" / "test_other.py").write_text("def test_other():\n    assert 1\n")
    git(pushed, *IDENTITY, "commit", "-qam", "other")
    ran = netra(pushed, "--profile", "pre-push")
    assert ran.code == 0, ran.out + ran.err
    assert ran_ids(pushed) == ["tests/unit/test_other.py::test_other"]
