from pathlib import Path

import pytest

from netra_runner.execution.junit_input import UnreadableReport, read_junit
from netra_runner.results import Outcome

PYTEST_XUNIT1 = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="unit" tests="4">
<testcase classname="" name="tests.test_broken" file="tests/test_broken.py" time="0.000">
  <error message="collection failure">/site-packages/_pytest/python.py:507: in importtestmodule
E     File "tests/test_broken.py", line 1
E   SyntaxError: invalid syntax</error></testcase>
<testcase classname="tests.test_a" name="test_pass" file="tests/test_a.py" line="1" time="0.5"/>
<testcase classname="tests.test_a" name="test_fail" file="tests/test_a.py" line="4" time="0.1">
  <failure message="assert 1 == 2">tests/test_a.py:6: in test_fail</failure>
  <system-out>----- Captured Log -----

----- Captured Out -----
hello
</system-out>
  <system-err>----- Captured Err -----
</system-err></testcase>
<testcase classname="tests.test_a" name="test_skip" file="tests/test_a.py" line="8">
  <skipped type="pytest.skip" message="later">skipped</skipped></testcase>
</testsuite></testsuites>"""


def test_pytest_report(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(PYTEST_XUNIT1)
    broken, passed, failed, skipped = read_junit(path, "unit", zero_based_lines=True)
    assert broken.outcome is Outcome.ERROR
    assert broken.message == "collection error in tests/test_broken.py"
    assert broken.details.splitlines() == [
        'E     File "tests/test_broken.py", line 1',
        "E   SyntaxError: invalid syntax",
    ]
    assert (passed.outcome, passed.location, passed.duration) == (
        Outcome.PASSED,
        "tests/test_a.py:2",
        0.5,
    )
    assert failed.test_id == "tests.test_a::test_fail"
    assert failed.message == "assert 1 == 2"
    assert failed.output == "----- Captured Out -----\nhello"
    assert passed.output == ""
    assert (skipped.outcome, skipped.message) == (Outcome.SKIPPED, "later")


def test_nested_suites_of_other_tools(tmp_path: Path) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(
        '<testsuite name="a" tests="2"><testsuite name="b" tests="2">'
        '<testcase classname="b" name="one" line="3"/><testcase classname="b" name="two"/>'
        "</testsuite></testsuite>"
    )
    one, two = read_junit(path, "frontend", zero_based_lines=False)
    assert (one.name, one.line, two.name) == ("one", 3, "two")


@pytest.mark.parametrize("text", ["", "<testsuites><testsuite>", "<html/>"])
def test_unreadable_reports(tmp_path: Path, text: str) -> None:
    path = tmp_path / "junit.xml"
    path.write_text(text)
    with pytest.raises(UnreadableReport):
        read_junit(path, "x", zero_based_lines=True)
