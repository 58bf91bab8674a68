"""`--shard K/N`: a deterministic partition of the selected tests over N machines.

Pure bookkeeping. Units are what moves between shards as a whole: a test file (its module
fixtures stay together) or, when a file alone outweighs a shard, its tests. Units are placed
longest first on the least loaded shard (LPT). A category with services is also tried as a
few contiguous chunks, so only the shards holding it start its services; that layout wins
when it costs little time (SERVICE_SLACK) over the finest one.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from netra_runner.results import Manifest

SERVICE_SLACK = 1.10  # accepted makespan growth to keep a service category on fewer shards


@dataclass(frozen=True)
class Unit:
    category: str
    tests: tuple[str, ...]
    weight: float


@dataclass(frozen=True)
class Shard:
    units: tuple[Unit, ...]

    @property
    def load(self) -> float:
        return sum(unit.weight for unit in self.units)

    def tests_of(self, category: str) -> list[str]:
        return [t for u in self.units if u.category == category for t in u.tests]


def partition(
    tests: Mapping[str, Sequence[str]],
    with_services: set[str],
    weight: Callable[[str], float],
    count: int,
) -> list[Shard]:
    """Every test in exactly one of `count` shards; the same input gives the same shards."""
    # fsum: exactly rounded, so the order the tests come in cannot move a file across the target
    total = math.fsum(weight(t) for ids in tests.values() for t in ids)
    target = max(total / count, 1e-9)
    fine = _lpt([u for c, ids in tests.items() for u in _file_units(c, ids, weight, target)], count)
    if not with_services:
        return fine
    grouped = _lpt(
        [
            u
            for c, ids in tests.items()
            for u in (
                _chunks(c, ids, weight, target)
                if c in with_services
                else _file_units(c, ids, weight, target)
            )
        ],
        count,
    )
    return grouped if makespan(grouped) <= SERVICE_SLACK * makespan(fine) else fine


def makespan(shards: list[Shard]) -> float:
    return max((shard.load for shard in shards), default=0.0)


def _lpt(units: list[Unit], count: int) -> list[Shard]:
    placed: list[list[Unit]] = [[] for _ in range(count)]
    loads = [0.0] * count
    for unit in sorted(units, key=lambda u: (-u.weight, u.category, u.tests[0])):
        lightest = min(range(count), key=lambda i: (loads[i], i))
        placed[lightest].append(unit)
        loads[lightest] += unit.weight
    return [Shard(tuple(units)) for units in placed]


def _file_units(
    category: str, ids: Sequence[str], weight: Callable[[str], float], target: float
) -> list[Unit]:
    units = []
    for tests in _by_file(ids).values():
        file_weight = math.fsum(weight(t) for t in tests)
        if file_weight > target and len(tests) > 1:
            units += [Unit(category, (t,), weight(t)) for t in tests]
        else:
            units.append(Unit(category, tuple(tests), file_weight))
    return units


def _chunks(
    category: str, ids: Sequence[str], weight: Callable[[str], float], target: float
) -> list[Unit]:
    """Contiguous runs of whole files, as few as the category's weight needs."""
    files = list(_by_file(ids).values())
    total = math.fsum(weight(t) for tests in files for t in tests)
    pieces = max(1, min(len(files), math.ceil(total / target - 1e-9)))
    size = total / pieces
    units: list[Unit] = []
    current: list[str] = []
    for tests in files:
        current += tests
        if sum(weight(t) for t in current) >= size and len(units) < pieces - 1:
            units.append(Unit(category, tuple(current), sum(weight(t) for t in current)))
            current = []
    if current:
        units.append(Unit(category, tuple(current), sum(weight(t) for t in current)))
    return units


def _by_file(ids: Sequence[str]) -> dict[str, list[str]]:
    files: dict[str, list[str]] = {}
    for test in sorted(ids):
        files.setdefault(test.partition("::")[0], []).append(test)
    return files


def manifest(shards: Sequence[Shard], index: int) -> Manifest:
    every = sorted(t for shard in shards for unit in shard.units for t in unit.tests)
    layout = [sorted(t for unit in shard.units for t in unit.tests) for shard in shards]
    return Manifest(
        index=index,
        count=len(shards),
        fingerprint=_digest(layout),
        selection_size=len(every),
        selection_digest=_digest(every),
        tests=tuple(layout[index - 1]),
    )


def _digest(value: object) -> str:
    text = json.dumps(value, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
