"""This machine's part of a sharded run (--shard K/N): the partition every shard computes
alike, from the history committed at HEAD (docs/ci.md)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from netra_runner.errors import UsageError
from netra_runner.options import parse_shard
from netra_runner.plugin.durations import Durations
from netra_runner.results import Manifest
from netra_runner.selection.categories import Selection
from netra_runner.selection.partition import manifest, partition

COMMAND_SUITE = "(command)"  # a command suite's one unit: it cannot be split
GIT_TIMEOUT = 30.0


def committed(root: Path, history_file: Path) -> Durations:
    """The durations history as committed at HEAD: the one copy every shard of a commit
    reads alike, however their caches, retries or earlier shards left the working copy
    (docs/ci.md). Without a committed history every test weighs the same."""
    relative = history_file.relative_to(root).as_posix()
    try:
        shown = subprocess.run(
            ["git", "show", f"HEAD:./{relative}"],
            cwd=root,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return Durations()
    if shown.returncode != 0:
        return Durations()
    return Durations.parse(shown.stdout.decode("utf-8", errors="replace"))


def shard(
    selection: Selection,
    collected: dict[str, list[str]],
    weight: Callable[[str], float],
    value: str,
) -> tuple[Selection, Manifest]:
    """This shard's part of the selection (empty is fine: its report still says it was
    there), and its manifest."""
    try:
        k, n = parse_shard(value)
    except ValueError as exc:
        raise UsageError(f"--shard: {exc}") from None
    tests = dict(collected)
    for entry in selection.entries:
        if entry.skip is None and not entry.category.is_pytest:
            tests[entry.name] = [f"{entry.name}::{COMMAND_SUITE}"]
    services = {e.name for e in selection.entries if e.category.services}
    shards = partition(tests, services, weight, n)
    mine = {name: shards[k - 1].tests_of(name) for name in tests}
    whole = {name for name, ids in mine.items() if ids and ids[0].endswith(COMMAND_SUITE)}
    if k == 1:  # what cannot run is said once, by the first shard
        whole |= {e.name for e in selection.entries if e.skip is not None}
    # Each shard sees only its own results: a gate in another shard cannot hold this one back.
    narrowed = selection.without_gates().only_tests(mine, whole, f"in shard {k}/{n}", empty=True)
    return narrowed, manifest(shards, k)
