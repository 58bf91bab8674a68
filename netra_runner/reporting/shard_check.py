"""Do the shards given to `report merge` add up to one whole run? Pure: manifests in,
problems out.

Each shard's report.json carries a manifest (its K of N, a fingerprint of the partition it
computed, the size and digest of the whole selection, its own test ids). Shards that saw
different durations histories, a shard left out or given twice, a test in two shards or in
none: each is a problem, and a merge with a problem is never green.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

Report = tuple[Path, dict[str, Any]]


def shard_problems(reports: Sequence[Report]) -> list[str]:
    sharded = [(path, data["shard"]) for path, data in reports if data.get("shard")]
    if not sharded:
        return []
    plain = [str(path) for path, data in reports if not data.get("shard")]
    problems = [f"not a shard's report, merged with shards: {', '.join(plain)}"] if plain else []
    counts = sorted({int(m["count"]) for _, m in sharded})
    if len(counts) > 1:
        problems.append(f"shards of different runs: split into {' and '.join(map(str, counts))}")
    n = counts[-1]
    by_index: dict[int, list[Path]] = {}
    for path, m in sharded:
        by_index.setdefault(int(m["index"]), []).append(path)
    problems += _twice(by_index, n) + _missing(by_index, n)
    first = {k: next(m for p, m in sharded if p == paths[0]) for k, paths in by_index.items()}
    problems += _disagreements(first, n)
    return problems + _coverage(first, n)


def _twice(by_index: dict[int, list[Path]], n: int) -> list[str]:
    return [
        f"shard {k}/{n} given {len(paths)} times: {', '.join(map(str, paths))}"
        for k, paths in sorted(by_index.items())
        if len(paths) > 1
    ]


def _missing(by_index: dict[int, list[Path]], n: int) -> list[str]:
    absent = [f"{k}/{n}" for k in range(1, n + 1) if k not in by_index]
    if not absent:
        return []
    return [f"shard{'s' if len(absent) > 1 else ''} {', '.join(absent)} missing"]


def _disagreements(manifests: dict[int, dict[str, Any]], n: int) -> list[str]:
    problems = []
    for key, what in (
        ("fingerprint", "shards computed different partitions (different durations histories?)"),
        ("selection", "shards selected different tests (different commits or flags?)"),
    ):
        groups: dict[str, list[str]] = {}
        for k, m in sorted(manifests.items()):
            groups.setdefault(str(m[key]), []).append(f"{k}/{n}")
        if len(groups) > 1:
            sides = "; ".join(f"shard {', '.join(ks)}" for ks in groups.values())
            problems.append(f"{what}: {sides}")
    return problems


def _coverage(manifests: dict[int, dict[str, Any]], n: int) -> list[str]:
    owners: dict[str, list[int]] = {}
    for k, m in sorted(manifests.items()):
        for test in m["tests"]:
            owners.setdefault(test, []).append(k)
    problems = []
    doubled = {test: ks for test, ks in owners.items() if len(ks) > 1}
    if doubled:
        test, ks = next(iter(doubled.items()))
        shards = " and ".join(f"{k}/{n}" for k in ks)
        problems.append(
            f"{len(doubled)} test{_s(len(doubled))} ran in more than one shard "
            f"(e.g. {test} in shards {shards})"
        )
    expected = max(int(m["selection"]["tests"]) for m in manifests.values())
    unseen = expected - len(owners)
    if unseen > 0:
        problems.append(f"{unseen} of {expected} selected test{_s(expected)} ran in no shard given")
    return problems


def _s(count: int) -> str:
    return "" if count == 1 else "s"
