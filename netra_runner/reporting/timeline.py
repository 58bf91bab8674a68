"""Where the time went: one lane per service and per category worker, one bar per test."""

from __future__ import annotations

from dataclasses import dataclass

from netra_runner.results import RunResult, ServiceTiming


@dataclass(frozen=True)
class Bar:
    start: float  # seconds after the run started
    length: float
    kind: str  # a test outcome, or "starting"/"healthy" for a service
    label: str


@dataclass(frozen=True)
class Lane:
    name: str
    bars: tuple[Bar, ...]


def lanes(run: RunResult) -> list[Lane]:
    return _service_lanes(run) + _worker_lanes(run)


def span(run: RunResult, drawn: list[Lane]) -> float:
    ends = [bar.start + bar.length for lane in drawn for bar in lane.bars]
    return max([run.duration, *ends, 0.001])


def _service_lanes(run: RunResult) -> list[Lane]:
    result = []
    for service in run.services:
        start = max(service.started_at - run.started_at, 0.0)
        ready = start + service.seconds_to_healthy
        note = " (reused)" if service.reused else ""
        result.append(
            Lane(
                f"service {service.name}",
                (
                    Bar(
                        start,
                        service.seconds_to_healthy,
                        "starting",
                        f"{service.name} starting: {service.seconds_to_healthy:.2f}s{note}",
                    ),
                    *_setup(service.name, ready, service.setup_seconds),
                    Bar(
                        ready + service.setup_seconds,
                        max(_until(service, run) - ready - service.setup_seconds, 0.0),
                        "healthy",
                        f"{service.name} healthy",
                    ),
                    *_down(service, run),
                ),
            )
        )
    return result


def _until(service: ServiceTiming, run: RunResult) -> float:
    return run.duration if service.down_at is None else service.down_at - run.started_at


def _down(service: ServiceTiming, run: RunResult) -> tuple[Bar, ...]:
    if service.down_at is None:
        return ()
    start = max(service.down_at - run.started_at, 0.0)
    label = f"{service.name} down: {service.down_reason}"
    return (Bar(start, max(run.duration - start, 0.0), "down", label),)


def _setup(name: str, start: float, seconds: float) -> tuple[Bar, ...]:
    if not seconds:
        return ()
    return (Bar(start, seconds, "setup", f"{name} set-up: {seconds:.2f}s"),)


def _worker_lanes(run: RunResult) -> list[Lane]:
    by_lane: dict[tuple[str, str], list[Bar]] = {}
    for category in run.categories:
        for test in category.tests:
            if test.started is None:
                continue  # never ran (or a command suite's test): nothing to place
            bar = Bar(
                max(test.started - run.started_at, 0.0),
                test.duration,
                test.outcome.value.replace(" ", "-") if not test.flaky else "flaky",
                f"{test.test_id} {test.duration:.3f}s {test.outcome.value}",
            )
            by_lane.setdefault((category.name, test.worker or "main"), []).append(bar)
    return [
        Lane(f"{category} {worker}", tuple(sorted(bars, key=lambda b: b.start)))
        for (category, worker), bars in by_lane.items()
    ]
