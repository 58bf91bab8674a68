"""A category's worker processes, taken back together (each claims its work as it goes:
slices.py, claims.py).

Each worker is judged as a suite of its own (its crashes, its restarts); the category is
then the worst of them, and the check that they worked from one collection: every process
must have collected the same tests, and what they claimed must not add up to more. When it
does not, the category errors with every result kept: a test may have run twice. What no
worker claimed is reported not run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

import psutil

from netra_runner.events import Event
from netra_runner.plan import Job
from netra_runner.plugin import agreement as agreed
from netra_runner.plugin.agreement import WorkerEvent
from netra_runner.results import SUITE_ERROR, CategoryResult, Outcome, Status, TestResult

# Worst first: a category is the first of these any of its shares ended in.
_ORDER = (Status.ERROR, Status.FAILED, Status.INTERRUPTED, Status.STOPPED, Status.PASSED)


def snapshot_history(job: Job) -> None:
    """Every share cuts its share from this one copy: a history another run writes while
    they start cannot give two of them different plans."""
    source = agreed.DURATIONS.value_in(job.argv) or ""
    job.history_copy.parent.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copyfile(source, job.history_copy)
    except OSError:
        job.history_copy.write_text("{}", encoding="utf-8")  # no history: every share alike


def collection_problem(job: Job, events: Sequence[Sequence[Event]]) -> str | None:
    """Why the shares' processes did not cut one collection, or None."""
    said = [
        e["slice"]
        for part in events
        for e in part
        if e["event"] == WorkerEvent.COLLECTED and isinstance(e.get("slice"), dict)
    ]
    if len(said) < len(events) or not all(s.get("digest") for s in said):
        # A process that collected nothing, or was stopped in its collection (pytest says
        # collected in a finally, before the plan was made), is judged on its own.
        return None
    digests = {s.get("digest") for s in said}
    sizes = sorted({int(s.get("of", 0)) for s in said})
    if len(digests) > 1:
        counts = ", ".join(str(n) for n in sizes)
        return (
            f"its {job.slices} worker processes collected different tests ({counts}): test "
            "ids must be the same in every process (random parameter values?); nothing "
            "says every test ran once"
        )
    # A worker started again after a crash claims nothing: its tests are counted once.
    held = sum(
        len(e["tests"]) for part in events for e in part if e["event"] == WorkerEvent.CLAIMED
    )
    if held > sizes[0]:
        return f"its {job.slices} shares hold {held} tests, not the {sizes[0]} collected"
    return None  # what no process claimed is reported as not run


def unclaimed(events: Sequence[Sequence[Event]]) -> list[str]:
    """Tests of a category whose processes claimed as they went that none claimed (they
    were all stopped first): collected, never run, never to be lost from the count."""
    collected: dict[str, None] = {}
    claimed: set[str] = set()
    for part in events:
        for e in part:
            if e["event"] == WorkerEvent.COLLECTED and isinstance(e.get("slice"), dict):
                collected.update(dict.fromkeys(e.get("tests", [])))
            elif e["event"] == WorkerEvent.CLAIMED:
                claimed.update(e.get("tests", []))
    return [t for t in collected if t not in claimed]


def merged(
    job: Job, results: Sequence[CategoryResult], problem: str | None, duration: float
) -> CategoryResult:
    tests = _once(t for r in results for t in r.tests)
    cut_short = any(r.status in (Status.INTERRUPTED, Status.STOPPED) for r in results)
    if problem is not None and not cut_short:  # a cut-short collection proves nothing
        error = TestResult(job.name, job.name, "(suite)", Outcome.ERROR, duration, message=problem)
        return CategoryResult(job.name, Status.ERROR, (*tests, error), duration, problem)
    if all(r.refused for r in results):  # one command line, refused alike by each share
        return dataclasses.replace(results[0], duration=duration)
    ran = [r for r in results if r.status is not Status.NO_TESTS]  # a share may be empty
    if not ran:
        return CategoryResult(job.name, Status.NO_TESTS, (), duration, results[0].reason)
    status = next((s for s in _ORDER if any(r.status is s for r in ran)), ran[0].status)
    said = [(p.worker, r.reason) for p, r in zip(job.shares(), results, strict=True) if r.reason]
    alike = len({reason for _, reason in said}) == 1  # every process broke the same way
    reasons = [reason for _, reason in said[:1]] if alike else [f"{w}: {r}" for w, r in said]
    tails = list(dict.fromkeys(r.output_tail for r in ran if r.output_tail))
    return CategoryResult(
        job.name,
        status,
        tests,
        duration,
        "; ".join(reasons) if status is not Status.PASSED else "",
        "\n".join(tails),
    )


def _once(tests: Iterable[TestResult]) -> tuple[TestResult, ...]:
    """Every share collects everything: a file's collection error or skip (its id has no
    `::`) is reported by each; it counts once."""
    seen: set[tuple[str, Outcome]] = set()
    kept = []
    for test in tests:
        # a file's id, or the one error of a process that broke as a whole (by its message:
        # every process importing a conftest that exits breaks alike)
        key = test.nodeid if test.nodeid and "::" not in test.nodeid else None
        if test.name == SUITE_ERROR and not test.nodeid:
            key = f"{SUITE_ERROR} {test.message}"
        if key is not None:
            if (key, test.outcome) in seen:
                continue
            seen.add((key, test.outcome))
        kept.append(test)
    return tuple(kept)


PRIVATE_PREFIX = "netra-shares-"  # netra-shares-<pid of netra-run>-<random>


@contextlib.contextmanager
def private_folder() -> Iterator[Path]:
    """A folder of the category's workers' own (their counter, JUnit and output), removed
    after them; those a killed netra-run left behind are removed by the next run."""
    root = Path(tempfile.gettempdir())
    for stale in root.glob(f"{PRIVATE_PREFIX}*"):
        owner = stale.name.removeprefix(PRIVATE_PREFIX).split("-")[0]
        if owner.isdigit() and not psutil.pid_exists(int(owner)):
            shutil.rmtree(stale, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix=f"{PRIVATE_PREFIX}{os.getpid()}-") as folder:
        yield Path(folder)


def join_logs(job: Job, parts: Sequence[Job]) -> None:
    """The category's output log: each share's, in turn, under its worker's name. The
    shares' own logs go: the category's is the one masked and bounded (containment.py)."""
    job.output_log.parent.mkdir(parents=True, exist_ok=True)  # a test may have deleted it
    with job.output_log.open("ab") as out:
        for index, part in enumerate(parts, 1):
            out.write(f"===== {part.worker}: share {index} of {job.slices} =====\n".encode())
            _copy(part.output_log, out)
            part.output_log.unlink(missing_ok=True)


def _copy(path: Path, out: BinaryIO) -> None:
    try:
        with path.open("rb") as source:
            shutil.copyfileobj(source, out)
    except OSError:
        pass
