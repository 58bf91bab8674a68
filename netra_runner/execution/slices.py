"""A sliced category: W pytest processes side by side, each running its own share, with no
xdist controller between them (docs/how-it-works.md, "Workers").

xdist's controller handles five messages for every test in one Python thread; on a suite of
many fast tests it, not the tests, sets the pace (20,000 tiny tests run slower under
`pytest -n 2` than serially). When the history knows a category, its shares can be worked
out in advance instead: every process collects the whole category, cuts the same plan
(scheduler.plan's units, longest first onto the least loaded share) from the same history
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
from netra_runner.execution.scheduler import Unit, plan


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
    first: frozenset[str],
    groups: Mapping[int, str] | None = None,
) -> list[list[int]]:
    """Indices into `collection` for each of `count` shares, each in collection order.
    The same input always gives the same shares: every process computes them alone.
    Tests of one `groups` name (xdist_group marks) go to one share, as xdist's loadgroup
    keeps them on one worker. Units are the scheduler's (single tests, or a module whose
    shared setup costs more split than kept whole): whole files, as `--shard` cuts, were
    measured and balance worse (networkx 1.18x xdist against 1.10x, attrs 1.04x against
    0.97x)."""
    loads = [0.0] * count
    assigned: list[list[int]] = [[] for _ in range(count)]
    for unit in units(collection, history, count, first, groups):
        lightest = min(range(count), key=lambda k: (loads[k], k))
        loads[lightest] += unit.weight
        assigned[lightest].extend(unit.indices)
    return [sorted(indices) for indices in assigned]


def units(
    collection: Sequence[str],
    history: Durations,
    count: int,
    first: frozenset[str],
    groups: Mapping[int, str] | None = None,
) -> list[Unit]:
    """The plan's units, heaviest first, an `xdist_group`'s tests in one: what shares are
    cut from, or what processes claim as they go (execution/claims.py)."""
    return _grouped(plan(collection, history, count, first), groups or {})


def _grouped(units: list[Unit], groups: Mapping[int, str]) -> list[Unit]:
    """Units holding tests of one group merged into one, where the first of them was."""
    home: dict[str, int] = {}  # group -> its unit's position in `out`
    out: list[Unit] = []
    for unit in units:
        names = sorted({groups[i] for i in unit.indices if i in groups})
        at = next((home[n] for n in names if n in home), None)
        if at is None:
            out.append(unit)
            at = len(out) - 1
        else:
            held = out[at]
            out[at] = Unit(held.indices + unit.indices, held.weight + unit.weight)
        for name in names:
            home.setdefault(name, at)
    return out


def digest(collection: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(collection).encode()).hexdigest()[:16]
