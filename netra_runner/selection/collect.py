"""Ask pytest which tests each category holds, without running them (--collect-only,
--shard, --budget).

Every pytest category collects in its own process, side by side, through netra-run's plugin,
so ids come back as the run would name them (relative to the project root), with collection
errors as ids of their files: a shard that holds a broken file reports it.
"""

from __future__ import annotations

import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from netra_runner.config.checks import ARG_PLACEHOLDER
from netra_runner.context import RunContext
from netra_runner.errors import CollectionFailed, UsageError
from netra_runner.events import Event, read_events
from netra_runner.plan import (
    PLUGIN,
    environment,
    interpreter,
    narrowing_args,
    suite_folder,
    suite_targets,
    write_inputs,
)
from netra_runner.plugin import agreement as agreed
from netra_runner.plugin.agreement import WorkerEvent
from netra_runner.selection.categories import Selected

COLLECT_TIMEOUT = 600.0


@dataclass(frozen=True)
class Collected:
    """What a category holds: its test ids, and the files pytest could not collect."""

    ids: tuple[str, ...] = ()
    broken: tuple[str, ...] = ()
    failure: str | None = None  # pytest never finished collecting: its own words

    @property
    def units(self) -> list[str]:
        """Ids and broken files alike: a shard that holds a broken file reports it."""
        return list(dict.fromkeys(self.ids + self.broken))


def collect(
    context: RunContext, entries: tuple[Selected, ...], workers: int
) -> dict[str, list[str]]:
    """The test ids of every pytest category that will run (for --shard and --budget)."""
    runnable = tuple(e for e in entries if e.skip is None)
    found = collect_each(context, runnable, workers)
    failed = [f"{name}: {c.failure}" for name, c in found.items() if c.failure]
    if failed:  # 0 tests would read as "nothing to run", the failure never seen
        raise CollectionFailed(f"collecting the tests failed: {'; '.join(failed)}")
    return {name: c.units for name, c in found.items()}


def collect_each(
    context: RunContext, entries: tuple[Selected, ...], workers: int
) -> dict[str, Collected]:
    """Every pytest category's tests, collected side by side."""
    pytest_entries = [e for e in entries if e.category.is_pytest]
    with (
        tempfile.TemporaryDirectory(prefix="netra-collect-") as folder,
        ThreadPoolExecutor(max(workers, 1)) as pool,
    ):
        found = pool.map(lambda e: _collect_one(context, e, Path(folder)), pytest_entries)
        return dict(zip((e.name for e in pytest_entries), found, strict=True))


def _collect_one(context: RunContext, entry: Selected, folder: Path) -> Collected:
    project, options = context.project, context.options
    events_file = folder / f"{entry.name}.ndjson"
    argv = [*interpreter(project, entry).argv, "-m", "pytest", "-p", PLUGIN]
    argv += [agreed.EVENTS(events_file)]
    argv += ["--collect-only", "-q", "--continue-on-collection-errors", "-p", "no:cacheprovider"]
    argv += narrowing_args(entry, options)
    # The suite's own arguments may change what it collects (--ignore, -p); one that needs
    # a service's export cannot be known before the services run.
    argv += [a for a in entry.category.args if not ARG_PLACEHOLDER.search(a)]
    if entry.category.cwd:
        argv += [agreed.ROOT(project.root)]
    targets, listing = suite_targets(project, entry, folder / entry.name)
    write_inputs(listing.items())
    argv += [*options.pytest_args, *targets]
    try:
        done = subprocess.run(
            argv,
            cwd=suite_folder(project, entry.category),
            env=environment(project, entry),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=COLLECT_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise UsageError(f"collecting {entry.name} took over {COLLECT_TIMEOUT:g}s") from None
    events = read_events(events_file)
    ids = [t for e in events if e["event"] == WorkerEvent.COLLECTED for t in e.get("tests", [])]
    broken = [
        e["nodeid"] for e in events if e["event"] == WorkerEvent.COLLECT_ERROR and e.get("nodeid")
    ]
    failure = _failure(events, done.returncode, done.stdout.decode("utf-8", "replace"))
    return Collected(tuple(dict.fromkeys(ids)), tuple(dict.fromkeys(broken)), failure)


def _failure(events: list[Event], code: int, output: str) -> str | None:
    """Why pytest never finished collecting, in its own words (a conftest that fails to
    import, a session that refuses to start), or None when it did."""
    refused = next(
        (e.get("message", "") for e in events if e["event"] == WorkerEvent.SESSION_FAILED), ""
    )
    if refused:
        return f"its session refused to start: {refused}"
    if any(e["event"] == WorkerEvent.COLLECTED for e in events):
        return None
    lines = [line.rstrip() for line in output.splitlines() if line.strip()]
    said = [line for line in lines if line.startswith(("ImportError while loading", "E   "))]
    said = said or [line for line in lines if line.startswith("ERROR")] or lines[-1:]
    return " ".join(line.strip() for line in said[:2])[:500] or f"pytest exited {code}"
