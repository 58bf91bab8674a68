"""The plan a category's processes claim from: every test in exactly one unit, heaviest
first, the same plan in every process, an xdist_group in one unit."""

import random

import pytest

from netra_runner.plugin.durations import Durations
from netra_runner.plugin.slices import digest, parse, units


def known(durations: dict[str, float], setups: dict[str, float] | None = None) -> Durations:
    setups = setups or {}
    return Durations({k: {"d": d, "s": setups.get(k, 0.0)} for k, d in durations.items()})


def test_every_test_is_in_exactly_one_unit() -> None:
    rng = random.Random(3)
    collection = [f"m{i % 7}.py::t{i}" for i in range(500)]
    history = known({t: rng.lognormvariate(-3, 1.5) for t in collection[::2]})
    planned = units(collection, history, 3, frozenset())
    assert sorted(i for unit in planned for i in unit.indices) == list(range(500))


def test_units_go_heaviest_first_by_the_history() -> None:
    collection = [*(f"b.py::t{i}" for i in range(10)), "a.py::long"]
    history = known({"a.py::long": 5.0, **{f"b.py::t{i}": 0.5 for i in range(10)}})
    planned = units(collection, history, 2, frozenset())
    assert planned[0].indices == (10,) and planned[0].weight == 5.0


def test_the_same_input_gives_the_same_plan() -> None:
    collection = [f"m.py::t{i}" for i in range(100)]
    history = known({t: 0.01 * (i % 5) for i, t in enumerate(collection)})
    assert units(collection, history, 4, frozenset()) == units(
        list(collection), Durations(dict(history.tests)), 4, frozenset()
    )


def test_a_module_with_costly_shared_setup_is_one_unit() -> None:
    collection = [f"db.py::t{i}" for i in range(6)] + [f"x.py::t{i}" for i in range(20)]
    durations = dict.fromkeys(collection, 0.05)
    durations["db.py::t0"] = 2.0
    setups = {"db.py::t0": 1.9}
    planned = units(collection, known(durations, setups), 2, frozenset())
    holding = [u for u in planned if any(i < 6 for i in u.indices)]
    assert len(holding) == 1 and sorted(holding[0].indices) == list(range(6))


def test_a_cold_plan_has_small_units_so_a_long_test_is_found_early() -> None:
    collection = [f"m{i // 10}.py::t{i}" for i in range(200)]
    planned = units(collection, Durations({}), 2, frozenset())
    assert max(len(u.indices) for u in planned) <= 2  # about 64 units per worker


def test_digest_tells_collections_apart() -> None:
    assert digest(["a", "b"]) == digest(["a", "b"]) != digest(["b", "a"])


@pytest.mark.parametrize("value", ["0/2", "3/2", "x", "1/", "1/2/3", "-1/2"])
def test_bad_slice_values_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="K/N"):
        parse(value)


def test_slice_values_parse() -> None:
    assert parse("2/4") == (2, 4)


def test_tests_of_one_xdist_group_go_to_one_unit() -> None:
    collection = [f"m{i}.py::t" for i in range(12)]
    history = known(dict.fromkeys(collection, 1.0))
    groups = {0: "db", 5: "db", 11: "db", 3: "cache", 4: "cache"}
    planned = units(collection, history, 3, frozenset(), groups)
    assert sorted(i for u in planned for i in u.indices) == list(range(12))
    for members in ([0, 5, 11], [3, 4]):
        assert sum(1 for u in planned if set(members) & set(u.indices)) == 1
