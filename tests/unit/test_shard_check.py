from pathlib import Path
from typing import Any

from netra_runner.reporting.shard_check import shard_problems
from netra_runner.selection.partition import manifest, partition

TESTS = {"unit": [f"tests/test_{f}.py::t{n}" for f in "abcdefg" for n in range(10)]}


def reports(weight_of: dict[str, float], n: int, indexes: list[int]) -> list[tuple[Path, Any]]:
    shards = partition(TESTS, set(), lambda t: weight_of.get(t.partition("::")[0], 1.0), n)
    out = []
    for k in indexes:
        m = manifest(shards, k)
        data = {
            "index": m.index,
            "count": m.count,
            "fingerprint": m.fingerprint,
            "selection": {"tests": m.selection_size, "digest": m.selection_digest},
            "tests": list(m.tests),
        }
        out.append((Path(f"shard-{k}"), {"shard": data}))
    return out


def test_a_whole_set_has_no_problem() -> None:
    assert shard_problems(reports({}, 3, [1, 2, 3])) == []


def test_unsharded_reports_are_not_checked() -> None:
    assert shard_problems([(Path("a"), {"shard": None}), (Path("b"), {})]) == []


def test_a_missing_shard_and_its_tests() -> None:
    problems = shard_problems(reports({}, 3, [1, 3]))
    assert problems[0] == "shard 2/3 missing"
    assert problems[1].endswith("of 70 selected tests ran in no shard given")


def test_a_shard_twice() -> None:
    problems = shard_problems(reports({}, 2, [1, 2, 2]))
    assert problems == ["shard 2/2 given 2 times: shard-2, shard-2"]


def test_shards_from_different_histories_disagree_and_say_how() -> None:
    one = reports({}, 2, [1])
    two = reports({"tests/test_a.py": 100.0}, 2, [2])
    problems = shard_problems(one + two)
    assert problems[0] == (
        "shards computed different partitions (different durations histories?): "
        "shard 1/2; shard 2/2"
    )


def test_different_shard_counts_and_a_plain_report() -> None:
    problems = shard_problems([*reports({}, 2, [1, 2]), *reports({}, 3, [3]), (Path("x"), {})])
    assert "not a shard's report, merged with shards: x" in problems
    assert "shards of different runs: split into 2 and 3" in problems


def test_the_fingerprint_does_not_depend_on_the_order_tests_come_in() -> None:
    forward = partition(TESTS, set(), lambda t: 1.0, 3)
    backward = partition({"unit": TESTS["unit"][::-1]}, set(), lambda t: 1.0, 3)
    assert manifest(forward, 2) == manifest(backward, 2)
    assert manifest(forward, 1).selection_size == 70
