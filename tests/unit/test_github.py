from pathlib import Path

from helpers import timed_run

from netra_runner.reporting import github
from netra_runner.results import CategoryResult, Outcome, RunResult, Status, TestResult


def test_only_on_github_actions() -> None:
    assert github.active({"GITHUB_ACTIONS": "true"})
    assert not github.active({})


def test_an_annotation_points_at_the_failing_line() -> None:
    [line] = github.error_annotations(timed_run())
    assert line.startswith(
        "::error file=tests/test_ws.py,line=10,title=failed%3A [websocket] "
        "tests/test_ws.py%3A%3Atest_gw1_0::boom%0ATraceback%0AE   boom"
    )


def test_annotations_are_capped_and_say_so() -> None:
    tests = tuple(
        TestResult("u", "t", f"x{n}", Outcome.FAILED, message="100% wrong, really")
        for n in range(15)
    )
    run = RunResult((CategoryResult("u", Status.FAILED, tests, 1.0),), 1.0)
    lines = github.error_annotations(run)
    assert len(lines) == github.MAX_ANNOTATIONS + 1
    assert lines[0] == "::error title=failed%3A [u] t%3A%3Ax0::100%25 wrong, really"
    assert lines[-1] == "::warning title=netra-run::5 more failures; see the job summary"


def test_the_step_summary_is_appended(tmp_path: Path) -> None:
    target = tmp_path / "summary.md"
    target.write_text("earlier step\n")
    github.append_summary(timed_run(), {"GITHUB_STEP_SUMMARY": str(target)})
    text = target.read_text()
    assert text.startswith("earlier step\n## netra-run\n")
    assert "| websocket | failed | 5 | 1 | 0 | 0 | 4.0s |" in text
    assert "- **[websocket]** `tests/test_ws.py:10` tests/test_ws.py::test_gw1_0: boom" in text
    assert "### Flaky" in text


def failed(details: str, file: str = "tests/test_a.py", line: int = 3) -> TestResult:
    return TestResult("u", "t", "x", Outcome.FAILED, file=file, line=line, details=details)


def test_the_annotation_names_the_deepest_frame_in_the_test_file() -> None:
    details = (
        "tests/test_a.py:7: in test_x\n    helper()\n"
        "tests/helpers.py:40: in helper\n    raise ValueError\nE   ValueError"
    )
    assert github.failing_line(failed(details)) == 7  # where the test called what raised
    direct = "tests/test_a.py:9: in test_x\n    assert 1 == 2\nE   assert 1 == 2"
    assert github.failing_line(failed(direct)) == 9


def test_without_a_frame_in_its_file_the_annotation_stays_at_the_def_line() -> None:
    assert github.failing_line(failed("E   fixture 'db' not found")) == 3
    assert github.failing_line(failed("conftest.py:4: in db\nE   boom")) == 3
    nested = failed("sub/tests/test_a.py:12: in t\nE   x", file="sub/tests/test_a.py")
    assert github.failing_line(nested) == 12
