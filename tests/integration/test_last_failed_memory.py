"""--lf as pytest does it: each failure is remembered until it passes or its file is gone,
whatever later runs selected; bare --lf reruns every remembered failure, across
categories; with none remembered it runs everything. A folder above the categories' paths
selects what is under it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import netra

CATEGORIES = """\
version: 1
categories:
  alpha: {paths: [tests/alpha]}
  beta: {paths: [tests/beta]}
"""
ALPHA = (
    "def test_a_good():\n    pass\n\n\ndef test_a_bad():\n    assert 0\n\n\n"
    "def test_a_worse():\n    assert 0\n"
)
BETA = "def test_b_good():\n    pass\n\n\ndef test_b_bad():\n    assert 0\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "tests/alpha").mkdir(parents=True)
    (tmp_path / "tests/beta").mkdir(parents=True)
    (tmp_path / "categories.yaml").write_text(CATEGORIES)
    (tmp_path / "tests/alpha/test_alpha.py").write_text(ALPHA)
    (tmp_path / "tests/beta/test_beta.py").write_text(BETA)
    return tmp_path


def ran(project: Path) -> list[str]:
    data = json.loads((project / "reports" / "report.json").read_text())
    return sorted(t["id"] for c in data["categories"] for t in c["tests"])


FAILURES = [
    "tests/alpha/test_alpha.py::test_a_bad",
    "tests/alpha/test_alpha.py::test_a_worse",
    "tests/beta/test_beta.py::test_b_bad",
]


def test_failures_of_categories_that_did_not_run_last_are_remembered(project: Path) -> None:
    assert netra(project, "--all").code == 1
    assert netra(project, "-c", "alpha", "-x", "-n", "1").code == 1  # stops after one
    again = netra(project, "--all", "--lf")
    assert again.code == 1
    assert ran(project) == FAILURES


def test_a_run_of_one_other_test_forgets_nothing(project: Path) -> None:
    assert netra(project, "--all").code == 1
    assert netra(project, "tests/beta/test_beta.py::test_b_good").code == 0
    assert netra(project, "--all", "--lf").code == 1
    assert ran(project) == FAILURES


def test_bare_lf_reruns_every_remembered_failure(project: Path) -> None:
    assert netra(project, "--all").code == 1
    again = netra(project, "--lf")
    assert again.code == 1, again.out + again.err
    assert ran(project) == FAILURES


def test_a_fixed_test_is_forgotten_and_with_none_left_lf_runs_everything(project: Path) -> None:
    assert netra(project, "--all").code == 1
    (project / "tests/alpha/test_alpha.py").write_text("def test_a_good():\n    pass\n")
    (project / "tests/beta/test_beta.py").write_text("def test_b_good():\n    pass\n")
    fixed = netra(project, "--lf")
    # The two alpha failures' tests are gone with their file's text; pytest runs the file
    # again as it has no failure left in it: here the whole of what remains.
    assert fixed.code == 0, fixed.out + fixed.err
    everything = netra(project, "--lf")
    assert everything.code == 0, everything.out + everything.err
    assert ran(project) == [
        "tests/alpha/test_alpha.py::test_a_good",
        "tests/beta/test_beta.py::test_b_good",
    ]


def test_lf_on_a_category_without_remembered_failures_runs_all_of_it(project: Path) -> None:
    (project / "tests/beta/test_beta.py").write_text("def test_b_good():\n    pass\n")
    assert netra(project, "--all").code == 1
    again = netra(project, "-c", "beta", "--lf")
    assert again.code == 0, again.out + again.err
    assert ran(project) == ["tests/beta/test_beta.py::test_b_good"]


def test_a_folder_above_the_categories_paths_runs_what_is_under_it(project: Path) -> None:
    done = netra(project, "tests")
    assert done.code == 1, done.out + done.err
    assert len(ran(project)) == 5
    beta = netra(project, "tests/beta")
    assert ran(project) == [
        "tests/beta/test_beta.py::test_b_bad",
        "tests/beta/test_beta.py::test_b_good",
    ]
    assert beta.code == 1
