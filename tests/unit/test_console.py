import io

from rich.console import Console

from netra_runner.errors import ExitCode
from netra_runner.reporting import console as render
from netra_runner.results import (
    CategoryResult,
    Outcome,
    RunResult,
    ServiceTiming,
    Status,
    TestResult,
)


def make_run() -> RunResult:
    tests = (
        TestResult("unit", "t", "a", Outcome.PASSED),
        TestResult(
            "unit",
            "t",
            "b",
            Outcome.FAILED,
            file="tests/t.py",
            line=7,
            message="boom",
            details="\n".join(f"line {n}" for n in range(40)),
        ),
        TestResult("unit", "t", "c", Outcome.SKIPPED),
    )
    return RunResult(
        (
            CategoryResult("unit", Status.FAILED, tests, 1.0),
            CategoryResult("e2e", Status.SKIPPED, reason="needs redis: pass --real-services"),
        ),
        duration=38.24,
    )


def text_of(*renderables: object) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=100, color_system=None)
    for renderable in renderables:
        console.print(renderable)
    return buffer.getvalue()


def test_closing_line() -> None:
    assert render.closing_line(make_run()) == (
        "netra-run: 1 passed, 1 failed, 1 skipped, 1 category not run in 38.2s"
    )


def test_closing_line_counts_errors() -> None:
    run = RunResult(
        (CategoryResult("x", Status.ERROR, (TestResult("x", "", "s", Outcome.ERROR),)),), 1
    )
    assert render.closing_line(run) == "netra-run: 0 passed, 0 failed, 0 skipped, 1 error in 1.0s"


def test_summary_table_and_notes() -> None:
    text = text_of(render.summary_table(make_run()), *render.notes(make_run()))
    assert "unit" in text and "failed" in text
    assert "e2e: needs redis: pass --real-services" in text
    assert "\x1b[" not in text


def test_failure_report_has_location_and_a_short_traceback() -> None:
    failed = make_run().failures[0]
    text = text_of(render.failure_report(failed))
    assert "FAILED [unit] tests/t.py:7 t::b" in text
    assert "boom" in text
    assert "line 39" in text and "line 10" not in text and "[...]" in text


def test_exit_codes() -> None:
    assert make_run().exit_code() is ExitCode.TESTS_FAILED
    skipped_only = RunResult((CategoryResult("e2e", Status.SKIPPED, reason="x"),), 0.1)
    assert skipped_only.exit_code() is ExitCode.NOTHING_RAN
    interrupted = RunResult((CategoryResult("u", Status.INTERRUPTED),), 0.1, interrupted=True)
    assert interrupted.exit_code() is ExitCode.INTERRUPTED
    passed = RunResult(
        (CategoryResult("u", Status.PASSED, (TestResult("u", "", "a", Outcome.PASSED),)),), 1
    )
    assert passed.exit_code() is ExitCode.OK


def test_service_timings_are_noted() -> None:
    run = RunResult(
        (),
        1.0,
        services=(ServiceTiming("postgres", 1.25, False), ServiceTiming("redis", 0.04, True)),
    )
    assert "services healthy: postgres 1.2s, redis 0.0s (reused)" in text_of(*render.notes(run))


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_color_keeps_the_live_view_on_a_terminal() -> None:
    from netra_runner.options import RunOptions
    from netra_runner.workflow import _live

    terminal = Console(file=_Terminal(), no_color=True, force_terminal=True)
    assert _live(RunOptions(), terminal)
    assert not _live(RunOptions(plain=True), terminal)
    assert not _live(RunOptions(), Console(file=io.StringIO()))
