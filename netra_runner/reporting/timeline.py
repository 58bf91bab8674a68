"""Where the time went, read off report.json's data: a lane per service and per category
worker, a bar per test attempt, and each gap on a lane said for what it was (waiting for
services or workers, pytest starting and collecting, idle, wrap-up). A merged report has a
group of lanes per shard, each on its own clock.

Bars carry a kind; the kinds are ordered by how much they matter, so that where many bars
share a pixel the page can paint the one that matters most (a failure among passes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# (kind, colour, legend): least important first. Gaps are pale, tests saturated.
KINDS: tuple[tuple[str, str, str], ...] = (
    ("wait", "#e6eaef", "not started yet"),
    ("wait-services", "#e9e1f7", "waiting for services"),
    ("wait-workers", "#f8ebcf", "waiting for workers"),
    ("startup", "#d3e8fa", "pytest start-up, collection"),
    ("idle", "#fde2e1", "idle"),
    ("wrap-up", "#d5f0ea", "wrap-up"),
    ("healthy", "#d8c6f5", "service healthy"),
    ("setup", "#0969da", "service set-up"),
    ("starting", "#8250df", "service starting"),
    ("passed", "#2da44e", "passed"),
    ("xpassed", "#4ac26b", "xpassed"),
    ("skipped", "#bf8700", "skipped"),
    ("xfailed", "#9a6700", "xfailed"),
    ("not-run", "#8c959f", "not run"),
    ("flaky", "#fb8500", "passed on a rerun"),
    ("retried", "#e16f24", "failed, rerun"),
    ("infrastructure", "#a371f7", "infrastructure"),
    ("error", "#a40e26", "error"),
    ("failed", "#cf222e", "failed"),
    ("down", "#6e0b1c", "service down"),
)
RANK = {kind: rank for rank, (kind, _, _) in enumerate(KINDS)}
IDLE = 0.05  # seconds: a shorter pause between two tests is scheduling, not worth a bar


@dataclass(frozen=True)
class Bar:
    start: float  # seconds after its group's run started
    length: float
    kind: str
    test: int = -1  # the index of its test in Timeline.tests; -1: not a test
    attempt: int = 0
    label: str = ""  # what a bar that is not a test was


@dataclass(frozen=True)
class Lane:
    category: str  # "" for a service's lane
    worker: str
    bars: tuple[Bar, ...]

    @property
    def name(self) -> str:
        return f"{self.category} {self.worker}" if self.category else f"service {self.worker}"


@dataclass(frozen=True)
class Group:
    name: str  # "" for a run's only group
    span: float
    lanes: tuple[Lane, ...]


@dataclass(frozen=True)
class TestRef:
    __test__ = False  # not a pytest test class

    id: str
    category: str
    attempts: int
    failure: int  # its index in the page's failures; -1: none


@dataclass
class Timeline:
    groups: list[Group] = field(default_factory=list)
    tests: list[TestRef] = field(default_factory=list)

    def as_data(self) -> dict[str, Any]:
        """What the page's script draws: compact arrays, times to 0.1 ms."""
        notes: list[str] = []
        return {
            "kinds": [list(kind) for kind in KINDS],
            "groups": [
                {
                    "name": group.name,
                    "span": round(group.span, 4),
                    "lanes": [_lane_data(lane, notes) for lane in group.lanes],
                }
                for group in self.groups
            ],
            "tests": [[t.id, t.category, t.attempts, t.failure] for t in self.tests],
            "notes": notes,
        }


def timeline(data: Mapping[str, Any], failures: Mapping[tuple[str, str], int]) -> Timeline:
    """`failures`: (category, test id) -> its index in the failures listed under the timeline."""
    drawn = Timeline()
    sources = data.get("sources")
    if not sources:
        drawn.groups.append(
            _group("", data, data["categories"], data.get("services", []), drawn, failures)
        )
        return drawn
    for index, source in enumerate(sources):
        categories = [_of_source(c, index, source) for c in data["categories"]]
        services = [s for s in data.get("services", []) if s.get("source") == index]
        drawn.groups.append(
            _group(_source_name(source), source, categories, services, drawn, failures)
        )
    return drawn


def _of_source(
    category: Mapping[str, Any], index: int, source: Mapping[str, Any]
) -> dict[str, Any]:
    tests = [t for t in category["tests"] if t.get("source") == index]
    phases = source.get("phases", {}).get(category["name"])
    return {**category, "tests": tests, "phases": phases}


def _source_name(source: Mapping[str, Any]) -> str:
    shard = source.get("shard")
    where = str(source.get("path", ""))
    return f"shard {shard['index']}/{shard['count']} · {where}" if shard else where


def _group(
    name: str,
    run: Mapping[str, Any],
    categories: Iterable[Mapping[str, Any]],
    services: list[Mapping[str, Any]],
    drawn: Timeline,
    failures: Mapping[tuple[str, str], int],
) -> Group:
    ready = {s["name"]: _ready(s) for s in services}
    lanes = [_service_lane(s, float(run.get("duration") or 0.0)) for s in services]
    for category in categories:
        by_worker: dict[str, list[Bar]] = {}
        for test in category["tests"]:
            if test.get("started") is None:
                continue  # never ran (or a command suite's test): nothing to place
            index = len(drawn.tests)
            key = (category["name"], test["id"])
            drawn.tests.append(
                TestRef(
                    test["id"],
                    category["name"],
                    int(test.get("attempts") or 1),
                    failures.get(key, -1),
                )
            )
            for worker, bar in _attempts(test, index):
                by_worker.setdefault(worker, []).append(bar)
        waited = _services_ready(category, ready)
        for worker in sorted(by_worker, key=_natural):
            bars = sorted(by_worker[worker], key=lambda b: b.start)
            gaps = _gaps(bars, category.get("phases"), waited)
            lanes.append(
                Lane(category["name"], worker, tuple(sorted([*gaps, *bars], key=lambda b: b.start)))
            )
    ends = [bar.start + bar.length for lane in lanes for bar in lane.bars]
    return Group(name, max([float(run.get("duration") or 0.0), *ends, 0.001]), tuple(lanes))


def _attempts(test: Mapping[str, Any], index: int) -> list[tuple[str, Bar]]:
    """Each failed attempt that was rerun, then the final one, on the worker it ran on."""
    worker = str(test.get("worker") or "main")
    start = float(test["started"])
    bars = []
    for number, rerun in enumerate(test.get("reruns") or [], start=1):
        began = rerun.get("started")
        began = start if began is None else float(began)
        length = float(rerun.get("duration") or 0.0)
        bars.append(
            (str(rerun.get("worker") or worker), Bar(began, length, "retried", index, number))
        )
        start = began + length
    last = test.get("last_started") if bars else test["started"]
    final = float(last) if last is not None else start
    kind = "flaky" if test.get("flaky") else str(test["outcome"]).replace(" ", "-")
    kind = kind if kind in RANK else "error"  # an outcome this version does not know (a merge)
    bars.append(
        (worker, Bar(final, float(test.get("duration") or 0.0), kind, index, len(bars) + 1))
    )
    return bars


def _gaps(
    bars: list[Bar], phases: Mapping[str, Any] | None, services: tuple[float, str] | None
) -> list[Bar]:
    """What the lane's worker did when it ran no test."""
    first = bars[0].start
    gaps = _before(first, phases or {}, services)
    end = bars[0].start + bars[0].length
    for bar in bars[1:]:
        if bar.start - end >= IDLE:
            gaps.append(_gap(end, bar.start, "idle", "idle: no test running on this worker"))
        end = max(end, bar.start + bar.length)
    finished = (phases or {}).get("finished")
    if finished is not None and finished > end:
        gaps.append(
            _gap(
                end,
                finished,
                "wrap-up",
                "wrap-up: session teardown, plugins' end-of-run work, the process exiting",
            )
        )
    return gaps


def _before(
    first: float, phases: Mapping[str, Any], services: tuple[float, str] | None
) -> list[Bar]:
    started, collected = phases.get("started"), phases.get("collected")
    if started is None:
        return []
    gaps = []
    ready = 0.0
    if services is not None:
        ready = min(services[0], started)
        gaps.append(_gap(0.0, ready, "wait-services", f"waiting for services: {services[1]}"))
    waiting = phases.get("waiting")
    if waiting is not None and waiting < started:
        waiting = max(waiting, ready)
        gaps.append(
            _gap(
                ready,
                waiting,
                "wait",
                "not ready yet: netra-run start-up, the categories it depends on",
            )
        )
        reason = phases.get("waiting_reason") or "waiting for workers"
        gaps.append(_gap(waiting, started, "wait-workers", reason))
    else:
        gaps.append(
            _gap(
                ready,
                started,
                "wait",
                "not started yet: netra-run start-up, the categories it depends on",
            )
        )
    if collected is not None and started <= collected <= first:
        gaps.append(_gap(started, collected, "startup", "pytest start-up and collection"))
        gaps.append(
            _gap(collected, first, "startup", "until its first test: workers starting, scheduling")
        )
    else:
        gaps.append(_gap(started, first, "startup", "pytest start-up and collection"))
    return [gap for gap in gaps if gap.length > 0]


def _gap(start: float, end: float, kind: str, label: str) -> Bar:
    return Bar(start, max(end - start, 0.0), kind, label=f"{label} ({end - start:.2f}s)")


def _ready(service: Mapping[str, Any]) -> float:
    started = float(service.get("started") or 0.0)
    return (
        started
        + float(service.get("seconds_to_healthy") or 0.0)
        + float(service.get("setup_seconds") or 0.0)
    )


def _services_ready(
    category: Mapping[str, Any], ready: Mapping[str, float]
) -> tuple[float, str] | None:
    """When the last of the category's services was ready, and their names."""
    names = [name for name in category.get("services", []) if name in ready]
    if not names:
        return None
    return max(ready[name] for name in names), ", ".join(names)


def _service_lane(service: Mapping[str, Any], duration: float) -> Lane:
    name = str(service["name"])
    start = float(service.get("started") or 0.0)
    healthy = float(service.get("seconds_to_healthy") or 0.0)
    setup = float(service.get("setup_seconds") or 0.0)
    down = service.get("down")
    until = duration if down is None else float(down)
    note = " (reused)" if service.get("reused") else ""
    bars = [Bar(start, healthy, "starting", label=f"{name} starting: {healthy:.2f}s{note}")]
    if setup:
        bars.append(Bar(start + healthy, setup, "setup", label=f"{name} set-up: {setup:.2f}s"))
    ready = _ready(service)
    bars.append(Bar(ready, max(until - ready, 0.0), "healthy", label=f"{name} healthy"))
    if down is not None:
        reason = service.get("down_reason") or "went down"
        bars.append(Bar(until, max(duration - until, 0.0), "down", label=f"{name} down: {reason}"))
    return Lane("", name, tuple(bars))


def _lane_data(lane: Lane, notes: list[str]) -> dict[str, Any]:
    bars = []
    for bar in lane.bars:
        ref = bar.test
        if ref < 0:
            notes.append(bar.label)
            ref = -len(notes)
        bars.append([round(bar.start, 4), round(bar.length, 4), RANK[bar.kind], ref, bar.attempt])
    return {"name": lane.name, "category": lane.category, "worker": lane.worker, "bars": bars}


def _natural(name: str) -> list[Any]:
    """gw2 before gw10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]
