"""reports/report.json: the run as data, bounded (schema in docs/report-json.md).

Passing tests are one short record each; text (message, traceback, output) is kept only for
tests that failed, errored or were flaky, and each piece is capped.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from netra_runner import __version__
from netra_runner.reporting.files import write_atomically
from netra_runner.results import (
    Attempt,
    CategoryPhases,
    CategoryResult,
    Manifest,
    Outcome,
    RunResult,
    TestResult,
)

VERSION = 1
TEXT_CAP = 4000  # characters per message, traceback or output


def report_data(run: RunResult) -> dict[str, Any]:
    totals = run.totals()
    return {
        "version": VERSION,
        "tool": {"name": "netra-run", "version": __version__},
        "started_at": _iso(run.started_at),
        "duration": round(run.duration, 3),
        "exit_code": int(run.exit_code()),
        "totals": {o.value: totals[o] for o in Outcome}
        | {
            "flaky": len(run.flaky),
            "subtests passed": run.subtests_passed(),
            "warnings": sum(c.warnings for c in run.categories),
        },
        "service_error": run.service_error,
        "services": [
            {
                "name": s.name,
                "seconds_to_healthy": round(s.seconds_to_healthy, 3),
                "reused": s.reused,
                "setup_seconds": round(s.setup_seconds, 3),
                "started": _offset(s.started_at, run),
                "down": _offset(s.down_at, run),
                "down_reason": s.down_reason,
            }
            for s in run.services
        ],
        "categories": [_category(c, run) for c in run.categories],
        "shard": _shard(run.shard),
        "coverage": run.coverage.as_data() if run.coverage is not None else None,
    }


def _shard(manifest: Manifest | None) -> dict[str, Any] | None:
    if manifest is None:
        return None
    return {
        "index": manifest.index,
        "count": manifest.count,
        "fingerprint": manifest.fingerprint,
        "selection": {"tests": manifest.selection_size, "digest": manifest.selection_digest},
        "tests": list(manifest.tests),
    }


def write_json(data: dict[str, Any], path: Path) -> None:
    """`data`: report_data(run), or a merge of several."""
    write_atomically(path, json.dumps(data, separators=(",", ":")) + "\n")


def _category(category: CategoryResult, run: RunResult) -> dict[str, Any]:
    return {
        "name": category.name,
        "status": category.status.value,
        "duration": round(category.duration, 3),
        "reason": category.reason,
        "services": list(category.services),
        "workers": category.workers,
        "counts": {o.value: category.count(o) for o in Outcome},
        "output_tail": cap(category.output_tail),
        "tests": [_test(t, run) for t in category.tests],
    } | _phases(category.phases, run)


def _phases(phases: CategoryPhases | None, run: RunResult) -> dict[str, Any]:
    if phases is None:
        return {}
    steps = ("waiting", "started", "collected", "finished")
    record = {step: _offset(getattr(phases, step), run) for step in steps}
    return {"phases": record | {"waiting_reason": phases.waiting_reason}}


def _test(test: TestResult, run: RunResult) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": test.test_id,
        "file": test.file,
        "line": test.line,
        "outcome": test.outcome.value,
        "duration": round(test.duration, 4),
        "worker": test.worker,
        "started": _offset(test.started, run),
        "attempts": len(test.reruns) + 1,
    }
    if test.outcome.is_bad or test.outcome is Outcome.NOT_RUN:
        record |= {"message": cap(test.message), "details": cap(test.details)}
        record["output"] = cap(test.output)
    elif test.outcome in (Outcome.SKIPPED, Outcome.XFAILED, Outcome.XPASSED):
        record["message"] = cap(test.message)
    if test.parent:
        record["parent"] = test.parent
    if test.subtests_passed:
        record["subtests_passed"] = test.subtests_passed
    if test.after_restart:  # passed once its service was back: not flaky, not the test's
        record["after_restart"] = True
    if test.reruns:
        record["flaky"] = test.flaky
        record["reruns"] = [_rerun(a, run) for a in test.reruns]
        record["last_started"] = _offset(test.last_started, run)
    return record


def _rerun(attempt: Attempt, run: RunResult) -> dict[str, Any]:
    return {
        "message": cap(attempt.message),
        "outcome": attempt.outcome.value,
        "started": _offset(attempt.started, run),
        "duration": round(attempt.duration, 4),
        "worker": attempt.worker,
    }


def cap(text: str, limit: int = TEXT_CAP) -> str:
    if len(text) <= limit:
        return text
    return f"[... {len(text) - limit} characters cut]\n" + text[-limit:]


def _offset(moment: float | None, run: RunResult) -> float | None:
    """Seconds after the run started: small numbers, and the timeline's x axis."""
    if moment is None or not run.started_at:
        return None
    return round(moment - run.started_at, 4)


def _iso(moment: float) -> str | None:
    return datetime.fromtimestamp(moment, timezone.utc).isoformat() if moment else None
