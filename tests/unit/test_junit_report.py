from pathlib import Path

import xmlschema
from helpers import JUNIT_XSD, junit_properties
from junitparser import JUnitXml

from netra_runner.reporting.junit import write_junit
from netra_runner.results import CategoryResult, Outcome, RunResult, Status, TestResult

SCHEMA = xmlschema.XMLSchema(str(JUNIT_XSD))


def sample_run() -> RunResult:
    unit = CategoryResult(
        "unit",
        Status.FAILED,
        (
            TestResult("unit", "tests.test_a", "test_ok", Outcome.PASSED, 0.00001),
            TestResult(
                "unit",
                "tests.test_a",
                "test_bad",
                Outcome.FAILED,
                1.5,
                message="assert \x1b[31mred\x1b[0m",
                details="trace\x00back",
                output="out\x07put",
            ),
            TestResult("unit", "tests.test_a", "test_later", Outcome.SKIPPED, message="not now"),
            TestResult("unit", "", "tests.test_broken", Outcome.ERROR, message="collection error"),
        ),
        duration=2.25,
    )
    e2e = CategoryResult("e2e", Status.SKIPPED, reason="needs redis: pass --real-services")
    return RunResult((unit, e2e), duration=3.0)


def test_merged_report_is_valid_and_complete(tmp_path: Path) -> None:
    path = tmp_path / "reports" / "junit.xml"
    write_junit(sample_run(), path)
    SCHEMA.validate(str(path))
    xml = JUnitXml.fromfile(str(path))
    unit, e2e = list(xml)
    assert (unit.name, unit.tests, unit.failures, unit.errors, unit.skipped) == ("unit", 4, 1, 1, 1)
    assert (e2e.name, e2e.tests, e2e.skipped) == ("e2e", 0, 0)  # no made-up testcase
    assert junit_properties(path)["e2e"]["reason"] == "needs redis: pass --real-services"
    assert "category e2e did not run: needs redis" in path.read_text()
    bad = next(case for case in unit if case.name == "test_bad")
    assert bad.result[0].message == "assert \ufffd[31mred\ufffd[0m"
    assert bad.system_out == "out\ufffdput"
    assert not list(tmp_path.glob("reports/*.partial"))


def test_an_empty_run_is_still_valid(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    write_junit(RunResult((), 0.0), path)
    SCHEMA.validate(str(path))


def consumer_counts(path: Path) -> dict[str, int]:
    """What a JUnit viewer (junit2html, xunit-viewer, CI test tabs) counts: testcases."""
    counts = {"passed": 0, "failed": 0, "error": 0, "skipped": 0}
    for suite in JUnitXml.fromfile(str(path)):
        for case in suite:
            kinds = {type(r).__name__ for r in case.result}
            kind = next((k for k in ("Failure", "Error", "Skipped") if k in kinds), "Passed")
            counts[{"Failure": "failed", "Error": "error"}.get(kind, kind.lower())] += 1
    return counts


def test_junit_readers_count_what_the_closing_line_says(tmp_path: Path) -> None:
    stopped = CategoryResult(
        "api",
        Status.STOPPED,
        (
            TestResult("api", "tests.test_b", "test_done", Outcome.PASSED, 0.1),
            TestResult("api", "tests.test_b", "test_cut", Outcome.NOT_RUN, message="not run: x"),
        ),
        reason="--fail-fast stopped the run after the first failure",
    )
    run = RunResult((*sample_run().categories, stopped), duration=3.0)
    path = tmp_path / "junit.xml"
    write_junit(run, path)
    SCHEMA.validate(str(path))
    totals = run.totals()
    expected = {o.value: totals[o] for o in (Outcome.PASSED, Outcome.FAILED, Outcome.ERROR)}
    assert consumer_counts(path) == {**expected, "skipped": totals[Outcome.SKIPPED]}
    assert junit_properties(path)["api"]["not-run"] == "1"
    assert "1 test did not run: --fail-fast stopped the run" in path.read_text()
