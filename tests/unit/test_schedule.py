"""The category scheduler's decisions, with fakes for everything it does not own: which
category starts, waits or is skipped, and when the run stops."""

from __future__ import annotations

from pathlib import Path

from netra_runner.execution.schedule import (
    READY_WITHOUT_SERVICES,
    Schedule,
    Services,
    Skip,
    Start,
    Stop,
    Wait,
    WaitForWorkers,
)
from netra_runner.plan import Job
from netra_runner.results import CategoryResult, Status


def job(name: str, gates: tuple[str, ...] = (), workers: int = 1, **more: object) -> Job:
    return Job(
        name=name,
        argv=("pytest",),
        cwd=Path(),
        env={},
        report_dir=Path("reports") / name,
        junit_source=None,
        why="--all",
        gates=gates,
        services=(),
        skip=None,
        workers=workers,
        **more,  # type: ignore[arg-type]
    )


def result(name: str, status: Status) -> CategoryResult:
    return CategoryResult(name, status)


def test_a_category_starts_with_its_services_exports() -> None:
    schedule = Schedule([job("unit")], budget=2)
    ready = Services(exports={"DATABASE_URL": "postgresql://x"})
    assert schedule.decide(schedule.pending[0], None, ready, 0) == Start(ready.exports or {})


def test_it_waits_for_its_gates_and_is_skipped_when_one_fails() -> None:
    schedule = Schedule([job("unit"), job("api", gates=("unit",))], budget=4)
    api = schedule.by_name["api"]
    assert schedule.decide(api, None, READY_WITHOUT_SERVICES, 0) == Wait()
    schedule.finished(result("unit", Status.FAILED))
    decided = schedule.decide(api, None, READY_WITHOUT_SERVICES, 0)
    assert isinstance(decided, Skip)
    assert decided.result.reason == "depends on unit, which ended failed"


def test_a_gate_that_is_not_in_the_run_is_no_gate() -> None:
    schedule = Schedule([job("api", gates=("unit",))], budget=1)
    assert schedule.decide(schedule.by_name["api"], None, READY_WITHOUT_SERVICES, 0) == Start({})


def test_it_waits_for_workers_and_says_so_once() -> None:
    schedule = Schedule([job("unit", workers=2), job("api", workers=2)], budget=2)
    schedule.started(schedule.by_name["unit"])
    api = schedule.by_name["api"]
    first = schedule.decide(api, None, READY_WITHOUT_SERVICES, used=2)
    again = schedule.decide(api, None, READY_WITHOUT_SERVICES, used=2)
    assert first == WaitForWorkers("waiting for workers (2 of 2 in use)", first=True)
    assert isinstance(again, WaitForWorkers) and not again.first
    # In its tail, unit holds only the workers its running tests use: api starts.
    assert schedule.decide(api, None, READY_WITHOUT_SERVICES, used=0) == Start({})


def test_services_not_ready_wait_and_a_failed_one_stops_the_run() -> None:
    schedule = Schedule([job("api")], budget=1)
    api = schedule.by_name["api"]
    assert schedule.decide(api, None, Services(), 0) == Wait()
    failed = Services(failed=("postgres", "service postgres never became healthy"))
    assert schedule.decide(api, None, failed, 0) == Stop(
        "service postgres failed", "service postgres never became healthy"
    )
    assert schedule.stop("service postgres failed") and not schedule.stop("again")
    decided = schedule.decide(api, None, Services(exports={}), 0)
    assert isinstance(decided, Skip) and decided.result.reason == "not run: service postgres failed"


def test_a_service_down_for_good_skips_what_needs_it() -> None:
    schedule = Schedule([job("api")], budget=1)
    decided = schedule.decide(schedule.by_name["api"], "not run: redis went down", Services(), 0)
    assert isinstance(decided, Skip) and decided.result.reason == "not run: redis went down"


def test_maxfail_counts_failed_tests_and_suites_that_broke_without_one() -> None:
    schedule = Schedule([job("unit"), job("lint")], budget=2, stop_after=2)
    schedule.failed_test("unit")
    schedule.finished(result("unit", Status.FAILED))  # its failed test was counted already
    assert schedule.stop_reason() is None
    schedule.finished(result("lint", Status.ERROR))  # a suite that broke: counts once
    assert schedule.stop_reason() == "--maxfail 2 stopped the run after 2 failures"
    assert Schedule([], budget=1, stop_after=1).stop_reason() is None


def test_the_queue_runs_a_category_again_first() -> None:
    schedule = Schedule([job("unit"), job("api")], budget=2)
    unit = schedule.by_name["unit"]
    schedule.take(unit)
    schedule.started(unit)
    assert schedule.busy and [j.name for j in schedule.pending] == ["api"]
    schedule.ended("unit")
    schedule.again(unit)
    assert [j.name for j in schedule.pending] == ["unit", "api"]
