"""The real netra-run on a fixture project: counts, exit codes, reports, closing line."""

import json
import re
from pathlib import Path

import pytest
import xmlschema
from helpers import JUNIT_XSD, junit_properties, netra
from junitparser import JUnitXml

SCHEMA = xmlschema.XMLSchema(str(JUNIT_XSD))


def suites(project: Path) -> dict[str, object]:
    path = project / "reports" / "junit.xml"
    SCHEMA.validate(str(path))
    return {suite.name: suite for suite in JUnitXml.fromfile(str(path))}


def test_a_passing_category(mixed: Path) -> None:
    ran = netra(mixed, "--category", "passing")
    assert ran.code == 0, ran.out + ran.err
    assert ran.last_line.startswith("netra-run: 3 passed, 0 failed, 0 skipped in ")
    suite = suites(mixed)["passing"]
    assert (suite.tests, suite.failures, suite.errors) == (3, 0, 0)  # type: ignore[attr-defined]


def test_failures_give_exit_1_with_location_and_output(mixed: Path) -> None:
    ran = netra(mixed, "-c", "failing")
    assert ran.code == 1
    assert ran.last_line.startswith("netra-run: 1 passed, 1 failed, 1 skipped in ")
    assert (
        "FAILED [failing] tests/failing/test_mixed.py:8 tests/failing/test_mixed.py::test_wrong"
        in ran.out
    )
    assert "assert (6 * 7) == 43" in ran.out
    assert "the answer was computed" in ran.out
    assert "\x1b[" not in ran.out


def test_fixture_error_is_an_error(mixed: Path) -> None:
    ran = netra(mixed, "-c", "erroring")
    assert ran.code == 1
    assert "1 error" in ran.last_line
    assert "ConnectionError: no database here" in ran.out


def test_collection_error_names_the_file_and_the_rest_still_runs(mixed: Path) -> None:
    ran = netra(mixed, "-c", "broken")
    assert ran.code == 1
    assert ran.last_line.startswith("netra-run: 1 passed, 0 failed, 0 skipped, 1 error in ")
    assert "collection error in tests/broken/test_syntax.py" in ran.out
    assert "SyntaxError" in ran.out


def test_failed_dependency_skips_its_dependents(mixed: Path) -> None:
    ran = netra(mixed, "-c", "gated")
    assert ran.code == 1
    assert "gated: depends on failing, which ended failed" in ran.out
    assert [
        line.split()[:2]
        for line in ran.out.splitlines()
        if line.startswith(("FAILED ", "SKIPPED ")) and "[" not in line
    ][:2] == [["FAILED", "failing"], ["SKIPPED", "gated"]]
    gated = suites(mixed)["gated"]
    # no made-up testcase: JUnit readers count what the closing line counts
    assert (gated.tests, gated.skipped) == (0, 0)  # type: ignore[attr-defined]
    assert junit_properties(mixed / "reports" / "junit.xml")["gated"]["status"] == "skipped"


def test_passed_dependency_lets_its_dependent_run(mixed: Path) -> None:
    ran = netra(mixed, "-c", "after_passing")
    assert ran.code == 0
    assert ran.last_line.startswith("netra-run: 6 passed")


def test_no_deps_runs_alone(mixed: Path) -> None:
    ran = netra(mixed, "-c", "gated", "--no-deps")
    assert ran.code == 0
    assert set(suites(mixed)) == {"gated"}


def test_command_suite_with_junit(mixed: Path) -> None:
    stale = mixed / "suites" / "out"
    stale.mkdir()
    (stale / "junit.xml").write_text("<testsuite name='old' tests='9' failures='9' errors='0'/>")
    ran = netra(mixed, "-c", "cmd_junit")
    assert ran.code == 0, ran.out
    assert ran.last_line.startswith("netra-run: 2 passed, 0 failed")
    assert (mixed / "reports" / "categories" / "cmd_junit" / "junit.xml").is_file()


def test_command_suite_judged_by_exit_code(mixed: Path) -> None:
    ran = netra(mixed, "-c", "cmd_plain")
    assert ran.code == 1
    assert "exited 3" in ran.out


def test_nonzero_exit_is_never_a_pass(mixed: Path) -> None:
    ran = netra(mixed, "-c", "cmd_lies")
    assert ran.code == 1
    assert "exited 2 although its report shows no failure" in ran.out
    assert ran.last_line.startswith("netra-run: 2 passed, 0 failed, 0 skipped, 1 error")


def test_missing_junit_falls_back_to_the_exit_code(mixed: Path) -> None:
    text = (
        (mixed / "categories.yaml")
        .read_text()
        .replace("junit: suites/out/junit.xml", "junit: suites/out/none.xml")
    )
    (mixed / "categories.yaml").write_text(text)
    ran = netra(mixed, "-c", "cmd_junit")
    assert ran.code == 1
    assert "exited 0 and left no readable JUnit report (none.xml was not written)" in ran.out


def test_service_category_without_real_services_is_skipped_and_exit_5(mixed: Path) -> None:
    ran = netra(mixed, "-c", "needs_redis")
    assert ran.code == 5
    assert "needs_redis: needs redis: pass --real-services" in ran.out
    assert "nothing ran" in ran.out
    assert ran.last_line.startswith("netra-run: 0 passed, 0 failed, 0 skipped, 1 category not run")


def test_a_category_that_collects_nothing_is_exit_5(mixed: Path) -> None:
    ran = netra(mixed, "-c", "empty")
    assert ran.code == 5
    assert "empty: collected no tests" in ran.out


@pytest.mark.parametrize(
    ("args", "passed"),
    [
        (("-k", "test_two"), 1),
        (("-m", "smoke"), 1),
        (("-k", "one or two"), 2),
    ],
)
def test_narrowing(mixed: Path, args: tuple[str, ...], passed: int) -> None:
    ran = netra(mixed, "-c", "passing", *args)
    assert ran.code == 0, ran.out
    assert ran.last_line.startswith(f"netra-run: {passed} passed, 0 failed")


def test_narrowing_to_nothing_is_exit_5(mixed: Path) -> None:
    assert netra(mixed, "-c", "passing", "-k", "no_such_test").code == 5


def test_file_selects_and_narrows(mixed: Path) -> None:
    ran = netra(mixed, "--file", "tests/failing/test_mixed.py", "-k", "fine")
    assert ran.code == 0, ran.out
    assert ran.last_line.startswith("netra-run: 1 passed, 0 failed")


def test_nothing_selected_is_exit_5(mixed: Path) -> None:
    ran = netra(mixed)
    assert ran.code == 5
    assert "nothing selected: pass --category NAME (repeatable) or --all" in ran.err


def test_unknown_category_is_exit_2_with_a_suggestion(mixed: Path) -> None:
    ran = netra(mixed, "-c", "pasing")
    assert ran.code == 2
    assert "unknown category 'pasing' (did you mean 'passing'?)" in ran.err
    assert "Traceback" not in ran.err


def test_all_runs_everything_and_reports_every_category(mixed: Path) -> None:
    ran = netra(mixed, "--all", "-k", "not hangs")
    assert ran.code == 1
    names = set(suites(mixed))
    assert names == {
        "passing",
        "failing",
        "erroring",
        "broken",
        "gated",
        "after_passing",
        "cmd_junit",
        "cmd_plain",
        "cmd_lies",
        "needs_redis",
        "empty",
        "slow",
        "after_slow",
    }


def test_list_and_plan_run_nothing(mixed: Path) -> None:
    listed = netra(mixed, "--list")
    assert listed.code == 0
    assert "one pass, one failure, one skip" in listed.out and "redis" in listed.out
    plan = netra(mixed, "--plan", "-c", "gated", "-c", "needs_redis")
    assert plan.code == 0
    assert "run  failing (needed by gated)" in plan.out
    assert "run  gated (--category; after failing passes)" in plan.out
    assert "skip needs_redis: needs redis: pass --real-services" in plan.out
    assert not (mixed / "reports").exists()


def test_list_and_plan_together_is_a_usage_error(mixed: Path) -> None:
    ran = netra(mixed, "--list", "--plan")
    assert ran.code == 2
    assert "--list and --plan each print and exit" in ran.err


def test_reports_dir_and_config_flags(mixed: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    ran = netra(
        elsewhere,
        "--config",
        str(mixed / "categories.yaml"),
        "-c",
        "passing",
        "--reports-dir",
        "out",
    )
    assert ran.code == 0, ran.out + ran.err
    assert (elsewhere / "out" / "junit.xml").is_file()


def test_config_is_found_from_a_subfolder_and_reports_go_to_the_root(mixed: Path) -> None:
    ran = netra(mixed / "tests" / "passing", "-c", "passing")
    assert ran.code == 0
    assert (mixed / "reports" / "junit.xml").is_file()


def test_unknown_flag_is_exit_2(mixed: Path) -> None:
    ran = netra(mixed, "--categroy", "x")
    assert ran.code == 2
    assert "No such option" in ran.err


def colours(text: str) -> set[int]:
    """The colour parameters (30-49, 90-107) of the SGR escape codes in text."""
    found = set()
    for params in re.findall(r"\x1b\[([0-9;]*)m", text):
        found |= {int(n) for n in params.split(";") if n and (30 <= int(n) <= 49 or int(n) >= 90)}
    return found


def test_colour_only_when_asked_and_never_with_no_color(mixed: Path) -> None:
    forced = netra(mixed, "-c", "failing", env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert colours(forced.out)
    # NO_COLOR (no-color.org) turns colour off and nothing else: bold may stay
    no_color = netra(mixed, "-c", "failing", env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert not colours(no_color.out) and "netra-run: 1 passed" in no_color.out
    plain = netra(mixed, "-c", "failing", "--plain", env={"FORCE_COLOR": "1"})
    assert "\x1b[" not in plain.out  # --plain: no escape code at all


def test_the_closing_line_is_never_wrapped(mixed: Path) -> None:
    ran = netra(mixed, "-c", "broken", env={"COLUMNS": "40"})
    assert ran.last_line.startswith("netra-run: 1 passed, 0 failed, 0 skipped, 1 error in ")


def test_a_nested_pytest_project_is_located_from_the_project_root(tmp_path: Path) -> None:
    demo = tmp_path / "examples" / "demo"
    (demo / "tests").mkdir(parents=True)
    (demo / "pyproject.toml").write_text("[tool.pytest.ini_options]\naddopts = ['-ra']\n")
    (demo / "tests" / "test_nested.py").write_text("def test_no():\n    assert 1 == 2\n")
    (tmp_path / "categories.yaml").write_text(
        "version: 1\ncategories:\n  demo: {paths: [examples/demo/tests]}\n"
    )
    ran = netra(tmp_path, "-c", "demo")
    assert ran.code == 1
    assert "FAILED [demo] examples/demo/tests/test_nested.py:1 " in ran.out, ran.out
    [test] = json.loads((tmp_path / "reports" / "report.json").read_text())["categories"][0][
        "tests"
    ]
    assert test["id"] == "examples/demo/tests/test_nested.py::test_no"
    assert netra(tmp_path, "-c", "demo", "-n", "2").code == 1  # the history, read back by xdist


def test_installed_plugins_load_as_usual_with_workers(mixed: Path) -> None:
    ran = netra(mixed, "-c", "passing", "-n", "2", env={"PYTEST_DISABLE_PLUGIN_AUTOLOAD": ""})
    assert ran.code == 0, ran.out + ran.err
    assert "START       passing (2 workers)" in ran.out
    assert ran.last_line.startswith("netra-run: 3 passed, 0 failed, 0 skipped in ")


def test_tests_that_never_ran_say_why_everywhere(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "conftest.py").write_text(
        "def pytest_collection_modifyitems(items):\n    raise RuntimeError('a broken hook')\n"
    )
    (tmp_path / "tests" / "test_x.py").write_text("def test_a():\n    pass\n")
    (tmp_path / "categories.yaml").write_text("version: 1\ncategories:\n  u: {paths: [tests]}\n")
    ran = netra(tmp_path, "-c", "u", "-n", "1")
    assert ran.code == 1
    why = "its process exited with code 3 before 1 test ran: INTERNALERROR> RuntimeError: a broken hook"
    assert f"u: {why}" in ran.out
    data = json.loads((tmp_path / "reports" / "report.json").read_text())
    assert data["categories"][0]["reason"] == why
    assert junit_properties(tmp_path / "reports" / "junit.xml")["u"]["reason"] == why
    suite = next(iter(JUnitXml.fromfile(str(tmp_path / "reports" / "junit.xml"))))
    said = [child.text for child in suite._elem if child.tag == "system-out"]
    assert said == [f"1 test did not run: {why}\ntests/test_x.py::test_a"]


def test_an_invalid_expression_is_a_usage_error_before_anything_runs(mixed: Path) -> None:
    for flag, value in (("-k", "(("), ("-m", "(("), ("-k", "\N{SLIGHTLY SMILING FACE}")):
        ran = netra(mixed, "-c", "passing", flag, value)
        assert ran.code == 2, ran.out + ran.err
        assert ran.err.startswith(f"netra-run: error: Wrong expression passed to '{flag}': ")
        assert not (mixed / "reports" / "categories").exists()


def test_a_category_waiting_for_the_worker_budget_says_so(mixed: Path) -> None:
    ran = netra(mixed, "-c", "passing", "-c", "failing", "-n", "1")
    waiting = [line for line in ran.out.splitlines() if line.startswith("WAITING ")]
    assert waiting == ["WAITING     failing: waiting for workers (1 of 1 in use)"], ran.out
