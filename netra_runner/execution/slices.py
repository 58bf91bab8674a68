"""A sliced category: W pytest processes side by side, each running its own share, with no
xdist controller between them (docs/how-it-works.md, "Workers").

xdist's controller handles five messages for every test in one Python thread; on a suite of
many fast tests it, not the tests, sets the pace (20,000 tiny tests run slower under
`pytest -n 2` than serially). When the history knows a category, its shares can be worked
out in advance instead: every process collects the whole category, cuts the same plan
(whole files, longest first onto the least loaded share, as `--shard` cuts) from the same history
snapshot, and keeps its own share. Each says what it collected (a digest of every id),
so a collection that differs between processes (random parameter ids) is caught, never a
test lost or run twice.

Pure bookkeeping, imported by the pytest plugin in sliced processes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence

from netra_runner.execution.history import Durations
from netra_runner.execution.scheduler import estimator
from netra_runner.selection.partition import partition

OPTION = "--netra-slice"


def parse(value: str) -> tuple[int, int]:
    """'2/4' -> (2, 4): this process is share 2 of 4 (K counts from 1)."""
    match = re.fullmatch(r"([0-9]{1,4})/([0-9]{1,4})", value.strip())
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise ValueError(f"expected K/N with 1 <= K <= N, got {value!r}")
    return int(match[1]), int(match[2])


def shares(
    collection: Sequence[str],
    history: Durations,
    count: int,
    groups: Mapping[int, str] | None = None,
) -> list[list[int]]:
    """Indices into `collection` for each of `count` shares, each in collection order.
    The same input always gives the same shares: every process computes them alone.
    Cut as `--shard` cuts (selection/partition.py): whole files, longest first onto the
    least loaded share, a file split only when it alone outweighs a share, so a module's
    fixtures are set up in one process, not in every one. Tests of one `groups` name
    (xdist_group marks) then join the share of the first of them, as xdist's loadgroup
    keeps them on one worker."""
    estimate = estimator(collection, history)
    index_of: dict[str, list[int]] = {}
    for index, nodeid in enumerate(collection):
        index_of.setdefault(nodeid, []).append(index)
    weights = {nodeid: estimate(indices[0]) for nodeid, indices in index_of.items()}
    cut = partition({"": list(index_of)}, set(), weights.__getitem__, count)
    assigned = [[i for t in shard.tests_of("") for i in index_of[t]] for shard in cut]
    return [sorted(indices) for indices in _together(assigned, groups or {})]


def _together(assigned: list[list[int]], groups: Mapping[int, str]) -> list[list[int]]:
    home: dict[str, int] = {}
    for index in sorted(groups):
        home.setdefault(groups[index], next(k for k, s in enumerate(assigned) if index in s))
    moved: list[list[int]] = [[] for _ in assigned]
    for share, indices in enumerate(assigned):
        for index in indices:
            moved[home[groups[index]] if index in groups else share].append(index)
    return moved


def digest(collection: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(collection).encode()).hexdigest()[:16]
