import json
from pathlib import Path

import pytest

from netra_runner.config import Project, load_project
from netra_runner.context import RunContext
from netra_runner.errors import NothingToRun, UsageError
from netra_runner.options import RunOptions
from netra_runner.selection.categories import split_names
from netra_runner.selection.narrowing import Narrowed, narrow, select

CONFIG = """\
version: 1
services:
  redis: {image: redis:7-alpine}
categories:
  unit: {paths: [tests/unit]}
  lint: {command: [ruff, check]}
  integration: {paths: [tests/integration], depends_on: [unit]}
  e2e: {paths: [tests/e2e], depends_on: [integration], services: [redis]}
"""


@pytest.fixture
def project(tmp_path: Path) -> Project:
    (tmp_path / "categories.yaml").write_text(CONFIG)
    for folder in ("unit", "integration", "e2e"):
        (tmp_path / "tests" / folder).mkdir(parents=True)
        (tmp_path / "tests" / folder / "test_a.py").write_text("")
    return load_project(tmp_path / "categories.yaml")


def chosen(project: Project, **options: object) -> list[tuple[str, str | None]]:
    selection = select(project, RunOptions(cwd=project.root, **options))  # type: ignore[arg-type]
    return [(entry.name, entry.skip) for entry in selection.entries]


def test_split_names_takes_repeats_and_commas() -> None:
    assert split_names(["a,b", " c ", ",", "d"]) == ["a", "b", "c", "d"]


def test_all_in_dependency_order(project: Project) -> None:
    names = [name for name, _ in chosen(project, all=True, real_services=True)]
    assert names == ["unit", "lint", "integration", "e2e"]


def test_dependencies_are_added_first_with_gates(project: Project) -> None:
    selection = select(
        project, RunOptions(cwd=project.root, categories=("e2e",), real_services=True)
    )
    assert [e.name for e in selection.entries] == ["unit", "integration", "e2e"]
    assert selection.entries[0].why == "needed by integration"
    assert selection.entries[2].gates == ("integration",)


def test_no_deps_adds_nothing_and_gates_nothing(project: Project) -> None:
    selection = select(
        project, RunOptions(cwd=project.root, categories=("integration",), no_deps=True)
    )
    assert [(e.name, e.gates) for e in selection.entries] == [("integration", ())]


def test_repeated_names_run_once(project: Project) -> None:
    assert chosen(project, categories=("unit", "unit,unit")) == [("unit", None)]


def test_unknown_category_suggests(project: Project) -> None:
    with pytest.raises(UsageError, match=r"unknown category 'unti' \(did you mean 'unit'\?\)"):
        chosen(project, categories=("unti",))


def test_nothing_selected_is_exit_5(project: Project) -> None:
    with pytest.raises(NothingToRun, match="nothing selected: pass --category"):
        chosen(project)


def test_service_categories_are_skipped_without_real_services(project: Project) -> None:
    assert ("e2e", "needs redis: pass --real-services") in chosen(project, all=True)


def test_narrowing_skips_command_suites(project: Project) -> None:
    assert ("lint", "-k cannot narrow a command suite") in chosen(project, all=True, keyword="x")


def test_a_path_selects_the_categories_that_hold_it(project: Project) -> None:
    selection = select(project, RunOptions(cwd=project.root, targets=("tests/unit/test_a.py",)))
    assert [(e.name, e.targets, e.why) for e in selection.entries] == [
        ("unit", ("tests/unit/test_a.py",), "holds a test path given")
    ]


def test_a_node_id_runs_exactly_that_test(project: Project) -> None:
    target = "tests/unit/test_a.py::TestX::test_y[a::b]"
    selection = select(project, RunOptions(cwd=project.root / "tests", targets=(target[6:],)))
    assert [(e.name, e.targets) for e in selection.entries] == [("unit", (target,))]


def test_a_path_through_a_symlink_is_spelled_as_the_category_spells_it(
    project: Project,
) -> None:
    (project.root / "linked").symlink_to(project.root / "tests" / "unit")
    selection = select(project, RunOptions(cwd=project.root, targets=("linked/test_a.py::test_x",)))
    assert selection.entries[0].targets == ("tests/unit/test_a.py::test_x",)


def test_a_path_outside_the_selected_categories_names_the_closest(project: Project) -> None:
    with pytest.raises(UsageError, match=r"the closest category paths: tests/unit \(unit\)"):
        chosen(project, categories=("unit",), targets=("tests/e2e/test_a.py",))


def test_a_path_held_by_no_category(project: Project) -> None:
    (project.root / "scripts").mkdir()
    with pytest.raises(UsageError, match=r"scripts is not under the paths of .*tests/"):
        chosen(project, targets=("scripts",))


def test_a_category_name_given_as_a_path_says_how_to_run_the_category(
    project: Project,
) -> None:
    with pytest.raises(
        UsageError, match="unit: no such file or folder; to run the category: -c unit"
    ):
        chosen(project, targets=("unit",))


def test_missing_path(project: Project) -> None:
    with pytest.raises(UsageError, match=r"nope\.py::t: no such file or folder"):
        chosen(project, targets=("nope.py::t",))


def narrowed(project: Project, report: object, **given: object) -> Narrowed:
    if report is not None:
        (project.root / "reports").mkdir(exist_ok=True)
        (project.root / "reports" / "report.json").write_text(json.dumps(report))
    options = RunOptions(cwd=project.root, **given)  # type: ignore[arg-type]
    return narrow(RunContext.of(project, options), select(project, options))


LAST = {
    "categories": [
        {
            "name": "unit",
            "status": "failed",
            "tests": [
                {"id": "tests/unit/test_a.py::test_x", "outcome": "failed"},
                {
                    "id": "tests/unit/test_a.py::T::test_s (n=1)",
                    "outcome": "failed",
                    "parent": "tests/unit/test_a.py::T::test_s",
                },
                {"id": "tests/unit/test_a.py::test_ok", "outcome": "passed"},
            ],
        },
        {"name": "lint", "status": "error", "tests": []},
        {"name": "integration", "status": "passed", "tests": []},
    ]
}


def test_last_failed_narrows_to_the_failures_and_reruns_broken_suites_whole(
    project: Project,
) -> None:
    result = narrowed(project, LAST, all=True, last_failed=True, no_deps=True)
    chosen = {e.name: e.only for e in result.selection.entries}
    # A failed subtest runs again as its test; a suite that broke without a test, whole.
    assert chosen == {
        "unit": ("tests/unit/test_a.py::test_x", "tests/unit/test_a.py::T::test_s"),
        "lint": (),
    }
    # pytest is given their file, and keeps those of the ids it collects (gone ones: none).
    assert result.selection.entries[0].targets == ("tests/unit/test_a.py",)


def test_last_failed_with_no_record_runs_everything(project: Project) -> None:
    result = narrowed(project, None, all=True, last_failed=True, no_deps=True)
    assert [e.name for e in result.selection.entries] == ["unit", "lint", "integration", "e2e"]
