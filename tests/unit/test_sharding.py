from collections.abc import Callable

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from netra_runner.options import parse_shard as parse
from netra_runner.selection.partition import (
    SERVICE_SLACK,
    _file_units,
    _lpt,
    makespan,
    partition,
)

# Categories of files of tests, each test with a duration.
suites = st.dictionaries(
    st.sampled_from(["unit", "api", "db", "ws"]),
    st.dictionaries(
        st.integers(0, 30).map(lambda n: f"tests/f{n}.py"),
        st.lists(st.floats(0.01, 30, allow_nan=False), min_size=1, max_size=12),
        min_size=1,
        max_size=8,
    ),
    min_size=1,
)


def flatten(
    spec: dict[str, dict[str, list[float]]],
) -> tuple[dict[str, list[str]], dict[str, float]]:
    tests: dict[str, list[str]] = {}
    weights: dict[str, float] = {}
    for category, files in spec.items():
        for file, durations in files.items():
            for n, duration in enumerate(durations):
                test = f"{category}/{file}::test_{n}"
                tests.setdefault(category, []).append(test)
                weights[test] = duration
    return tests, weights


@settings(max_examples=300, deadline=None)
@given(suites, st.integers(1, 7), st.sets(st.sampled_from(["db", "ws"])))
def test_every_test_lands_in_exactly_one_shard(
    spec: dict[str, dict[str, list[float]]], count: int, services: set[str]
) -> None:
    tests, weights = flatten(spec)
    shards = partition(tests, services, weights.__getitem__, count)
    assert len(shards) == count
    placed = [(u.category, t) for s in shards for u in s.units for t in u.tests]
    assert len(placed) == len(set(placed))  # disjoint
    assert sorted(placed) == sorted((c, t) for c, ids in tests.items() for t in ids)  # complete


@settings(max_examples=300, deadline=None)
@given(suites, st.integers(1, 7), st.sets(st.sampled_from(["db", "ws"])))
def test_the_longest_shard_is_within_a_small_factor_of_the_bound(
    spec: dict[str, dict[str, list[float]]], count: int, services: set[str]
) -> None:
    tests, weights = flatten(spec)
    weight: Callable[[str], float] = weights.__getitem__
    shards = partition(tests, services, weight, count)
    total = sum(weights.values())
    units = [u for c, ids in tests.items() for u in _file_units(c, ids, weight, total / count)]
    # Graham's bound for the finest units; the service-aware layout may cost SERVICE_SLACK more.
    bound = total / count + max(u.weight for u in units)
    assert makespan(shards) <= SERVICE_SLACK * bound + 1e-9
    assert makespan(shards) <= SERVICE_SLACK * makespan(_lpt(units, count)) + 1e-9


@given(suites, st.integers(1, 5))
@example(  # two files each weighing the target: summing in another order once split one
    {
        "unit": {
            "tests/f0.py": [1.0] * 6 + [1.434925391144084] * 3 + [25.434925391144084],
            "tests/f1.py": [1.0] * 6
            + [22.434925391144084, 1.434925391144084, 1.434925391144084, 4.434925391144084],
        }
    },
    2,
)
def test_the_same_input_gives_the_same_shards(
    spec: dict[str, dict[str, list[float]]], count: int
) -> None:
    tests, weights = flatten(spec)
    reordered = {c: list(reversed(ids)) for c, ids in reversed(list(tests.items()))}
    first = partition(tests, {"db"}, weights.__getitem__, count)
    again = partition(reordered, {"db"}, weights.__getitem__, count)
    assert [sorted(t for u in s.units for t in u.tests) for s in first] == [
        sorted(t for u in s.units for t in u.tests) for s in again
    ]


def test_without_history_shards_balance_by_count() -> None:
    tests = {"unit": [f"tests/f{n}.py::t" for n in range(12)]}
    shards = partition(tests, set(), lambda _: 1.0, 3)
    assert [len(s.tests_of("unit")) for s in shards] == [4, 4, 4]


def test_a_small_service_category_stays_on_one_shard() -> None:
    tests = {
        "unit": [f"tests/u{n}.py::t" for n in range(40)],
        "db": [f"tests/db{n}.py::t" for n in range(4)],
    }
    shards = partition(tests, {"db"}, lambda _: 1.0, 4)
    assert sum(1 for s in shards if s.tests_of("db")) == 1
    assert makespan(shards) == 11


def test_a_file_heavier_than_a_shard_is_split_into_tests() -> None:
    tests = {"unit": [f"tests/big.py::t{n}" for n in range(6)] + ["tests/small.py::t"]}
    shards = partition(tests, set(), lambda _: 1.0, 2)
    assert sorted(len(s.tests_of("unit")) for s in shards) == [3, 4]


@pytest.mark.parametrize("value", ["0/2", "3/2", "2", "a/b", "1/0", ""])
def test_a_bad_shard_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="expected K/N with 1 <= K <= N"):
        parse(value)
    assert parse("2/4") == (2, 4)
