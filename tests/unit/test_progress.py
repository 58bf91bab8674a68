import io

from rich.console import Console

from netra_runner.plugin.durations import Durations
from netra_runner.reporting.live import view
from netra_runner.reporting.progress import RunProgress

T0 = 1000.0
TESTS = [f"tests/test_a.py::test_{n}" for n in range(4)]


def event(kind: str, t: float, **fields: object) -> dict[str, object]:
    return {"event": kind, "t": t, **fields}


def progressed() -> RunProgress:
    history = Durations({test: {"d": 2.0} for test in TESTS})
    progress = RunProgress(history)
    for e in [
        event("run_started", T0, categories=["unit", "websocket"], workers=2),
        event("service_starting", T0 + 0.1, service="postgres"),
        event("service_starting", T0 + 0.1, service="redis"),
        event("service_healthy", T0 + 1.2, service="redis", seconds=1.1),
        event("category_started", T0 + 0.2, category="unit", workers=2),
        event("collected", T0 + 0.5, category="unit", tests=TESTS),
        event("test_started", T0 + 0.6, category="unit", nodeid=TESTS[0], worker="gw0"),
        event("test_started", T0 + 0.6, category="unit", nodeid=TESTS[1], worker="gw1"),
        event(
            "test_finished",
            T0 + 1.0,
            category="unit",
            nodeid=TESTS[0],
            worker="gw0",
            outcome="failed",
        ),
        event("test_started", T0 + 1.0, category="unit", nodeid=TESTS[2], worker="gw0"),
    ]:
        progress.apply(e)
    return progress


def test_events_fold_into_what_is_running_now() -> None:
    progress = progressed()
    unit = progress.categories["unit"]
    assert (unit.total, unit.completed, unit.failed) == (4, 1, 1)
    assert progress.running == {("unit", "gw1"): TESTS[1], ("unit", "gw0"): TESTS[2]}
    assert {s.name: s.state for s in progress.services.values()} == {
        "postgres": "starting",
        "redis": "healthy",
    }


def test_a_rerun_is_not_a_finished_test() -> None:
    progress = progressed()
    progress.apply(
        event(
            "test_finished", T0 + 2, category="unit", nodeid=TESTS[1], worker="gw1", outcome="rerun"
        )
    )
    assert progress.categories["unit"].completed == 1


def test_eta_is_the_history_of_what_is_left_over_the_workers() -> None:
    progress = progressed()
    # websocket has not collected yet: the estimate is a lower bound.
    assert progress.eta() == (3 * 2.0 / 2, False)
    progress.apply(event("category_started", T0 + 2, category="websocket", workers=1))
    progress.apply(event("collected", T0 + 2, category="websocket", tests=["w::new"]))
    assert progress.eta() == ((3 * 2.0 + 2.0) / 2, True)  # unknown: the typical duration


def test_the_view_fits_80_columns_and_shows_everything() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=80, color_system=None)
    console.print(view(progressed(), now=T0 + 3.0))
    lines = buffer.getvalue().splitlines()
    assert all(len(line) <= 80 for line in lines)
    text = "\n".join(lines)
    assert "postgres starting 2.9s" in text and "redis healthy 1.1s" in text
    assert "unit" in text and "1/4" in text and "1 failed" in text
    assert "gw0   tests/test_a.py::test_2" in text
    assert "websocket" in text and "waiting" in text
    assert "elapsed 3s · ETA >3s" in text


def test_a_long_test_id_keeps_its_end_and_is_not_wrapped() -> None:
    progress = progressed()
    progress.apply(
        event(
            "test_started",
            T0 + 1,
            category="unit",
            worker="gw1",
            nodeid="tests/" + "very_long_name_" * 10 + ".py::test_the_part_that_differs",
        )
    )
    buffer = io.StringIO()
    Console(file=buffer, width=80, color_system=None).print(view(progress, now=T0 + 3))
    worker_lines = [line for line in buffer.getvalue().splitlines() if "gw1" in line]
    assert len(worker_lines) == 1 and len(worker_lines[0].rstrip()) == 80
    assert worker_lines[0].rstrip().endswith("….py::test_the_part_that_differs"[-30:])
    assert "gw1   …" in worker_lines[0]


def test_a_category_waiting_for_workers_says_so() -> None:
    progress = progressed()
    reason = "waiting for workers (2 of 2 in use)"
    progress.apply(event("category_waiting", T0 + 1, category="api", reason=reason))
    buffer = io.StringIO()
    Console(file=buffer, width=100, color_system=None).print(view(progress, now=T0 + 2))
    assert reason in buffer.getvalue()


def test_a_first_run_estimates_from_what_its_own_tests_took() -> None:
    progress = RunProgress(Durations())
    progress.apply(event("run_started", T0, categories=["unit"], workers=1))
    progress.apply(event("collected", T0, category="unit", tests=TESTS))
    assert progress.eta() == (4 * 0.5, True)  # nothing measured yet: the fallback
    progress.apply(
        event(
            "test_finished",
            T0 + 3,
            category="unit",
            nodeid=TESTS[0],
            outcome="passed",
            duration=3.0,
        )
    )
    assert progress.eta() == (3 * 3.0, True)


def test_a_finished_category_says_its_failures_and_errors_once() -> None:
    progress = progressed()
    progress.apply(
        event(
            "test_finished", T0 + 2, category="unit", nodeid=TESTS[1], worker="gw1", outcome="error"
        )
    )
    progress.apply(
        event("category_finished", T0 + 3, category="unit", status="failed", duration=2.5)
    )
    buffer = io.StringIO()
    Console(file=buffer, width=100, color_system=None).print(view(progress, now=T0 + 3.0))
    line = next(line for line in buffer.getvalue().splitlines() if "unit" in line)
    assert "1 failed 1 error 2.5s" in line and "failed failed" not in line
