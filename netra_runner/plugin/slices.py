"""A category's W pytest processes side by side, with no xdist controller between them
(docs/how-it-works.md, "Workers"): the plan they all claim from.

xdist's controller handles five messages for every test in one Python thread; on a suite of
many fast tests it, not the tests, sets the pace (20,000 tiny tests run slower under
`pytest -n 2` than serially). Instead every process collects the whole category and works
out the same plan (scheduler.plan's units, longest first) from the same history snapshot,
then claims units of it as it goes (claims.py). Each says what it collected (a digest of
every id), so a collection that differs between processes (random parameter ids) is
caught, never a test lost or run twice.

Pure bookkeeping, imported by the pytest plugin in every worker process.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence

from netra_runner.plugin.durations import Durations
from netra_runner.plugin.scheduler import Unit, plan

CLAIMED_CHUNKS = 64  # units per worker for tests nothing is known of


def parse(value: str) -> tuple[int, int]:
    """'2/4' -> (2, 4): this process is share 2 of 4 (K counts from 1)."""
    match = re.fullmatch(r"([0-9]{1,4})/([0-9]{1,4})", value.strip())
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise ValueError(f"expected K/N with 1 <= K <= N, got {value!r}")
    return int(match[1]), int(match[2])


def units(
    collection: Sequence[str],
    history: Durations,
    count: int,
    first: frozenset[str],
    groups: Mapping[int, str] | None = None,
) -> list[Unit]:
    """The plan's units, heaviest first, an `xdist_group`'s tests in one: what a category's
    processes claim as they go (plugin/claims.py). With nothing known, small units: a
    cold run's long tests are somewhere among them, and claiming a small unit at a time
    finds them without a process holding a long queue behind one."""
    return _grouped(plan(collection, history, count, first, CLAIMED_CHUNKS), groups or {})


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
