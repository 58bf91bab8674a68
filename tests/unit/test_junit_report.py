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
    assert (e2e.name, e2e.tests, e2e.skipped) == ("e2e", 1, 1)
    assert junit_properties(path)["e2e"]["reason"] == "needs redis: pass --real-services"
    bad = next(case for case in unit if case.name == "test_bad")
    assert bad.result[0].message == "assert \ufffd[31mred\ufffd[0m"
    assert bad.system_out == "out\ufffdput"
    assert not list(tmp_path.glob("reports/*.partial"))


def test_an_empty_run_is_still_valid(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    write_junit(RunResult((), 0.0), path)
    SCHEMA.validate(str(path))
