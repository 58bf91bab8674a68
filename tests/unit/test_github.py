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
