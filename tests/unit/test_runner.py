"""The runner's category scheduling: the worker budget, gates, and stopping after failures,
with real (tiny) command suites."""

from __future__ import annotations

import itertools
from pathlib import Path

from netra_runner.config import load_project
from netra_runner.context import RunContext
from netra_runner.events import Event, EventLog
from netra_runner.execution.marks import Mark
from netra_runner.execution.processes import ChildProcesses
from netra_runner.execution.runner import Runner
from netra_runner.options import RunOptions
from netra_runner.plan import make_jobs
from netra_runner.results import CategoryResult, Status
from netra_runner.selection.narrowing import select

SLEEP = '[python, -c, "import time; time.sleep(0.3)"]'
FAIL = '[python, -c, "raise SystemExit(1)"]'
CONFIG = f"""\
version: 1
categories:
  first: {{command: {SLEEP}}}
  second: {{command: {SLEEP}}}
  gated: {{command: {FAIL}, depends_on: [first]}}
  behind: {{command: {SLEEP}, depends_on: [gated]}}
"""


STOPPING = f"""\
version: 1
categories:
  fails: {{command: {FAIL}}}
  fails_too: {{command: {FAIL}}}
  later: {{command: {SLEEP}}}
"""


def run(
    tmp_path: Path, budget: int, stop_after: int | None = None, config: str = CONFIG
) -> tuple[dict[str, CategoryResult], list[Event]]:
    (tmp_path / "categories.yaml").write_text(config)
    project = load_project(tmp_path / "categories.yaml")
    options = RunOptions(cwd=tmp_path, all=True, workers=budget)
    jobs = make_jobs(RunContext.of(project, options), select(project, options).entries)
    events = EventLog(tmp_path / "events.ndjson")
    seen: list[Event] = []
    events.listen(seen.append)
    with ChildProcesses(Mark.new(project.file)) as children:
        runner = Runner(jobs, children, None, events, lambda *_: None, budget, stop_after)
        results = {r.name: r for r in runner.run()}
    events.close()
    return results, seen


def spans(seen: list[Event]) -> dict[str, tuple[float, float]]:
    started = {e["category"]: e["t"] for e in seen if e["event"] == "category_started"}
    return {
        e["category"]: (started[e["category"]], e["t"])
        for e in seen
        if e["event"] == "category_finished" and e["category"] in started
    }


def test_a_budget_of_one_runs_one_category_at_a_time(tmp_path: Path) -> None:
    results, seen = run(tmp_path, budget=1)
    ran = sorted(spans(seen).values())
    assert len(ran) == 3  # behind never starts: its gate failed
    assert all(end <= start for (_, end), (start, _) in itertools.pairwise(ran))
    assert results["first"].status is Status.PASSED


def test_a_gated_category_waits_for_its_gate_and_is_skipped_when_it_fails(
    tmp_path: Path,
) -> None:
    results, seen = run(tmp_path, budget=4)
    ran = spans(seen)
    assert ran["gated"][0] >= ran["first"][1]  # started after its gate finished
    assert ran["second"][0] < ran["first"][1]  # no gate: alongside
    assert results["behind"].status is Status.SKIPPED
    assert results["behind"].reason == "depends on gated, which ended failed"


def test_stopping_after_one_failure_skips_what_has_not_started(tmp_path: Path) -> None:
    results, _ = run(tmp_path, budget=1, stop_after=1, config=STOPPING)
    assert results["fails"].status is Status.FAILED
    for name in ("fails_too", "later"):
        assert results[name].status is Status.SKIPPED
        assert results[name].reason == (
            "not run: --fail-fast stopped the run after the first failure"
        )


def test_maxfail_counts_failures_across_categories(tmp_path: Path) -> None:
    results, _ = run(tmp_path, budget=1, stop_after=2, config=STOPPING)
    assert results["fails_too"].status is Status.FAILED  # the first failure did not stop it
    assert results["later"].reason == "not run: --maxfail 2 stopped the run after 2 failures"
