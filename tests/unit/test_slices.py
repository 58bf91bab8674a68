"""Cutting a category into shares in advance: every test in exactly one, balanced by history,
the same cut in every process."""

import random

import pytest

from netra_runner.execution.history import Durations
from netra_runner.execution.slices import digest, parse, shares


def known(durations: dict[str, float], setups: dict[str, float] | None = None) -> Durations:
    setups = setups or {}
    return Durations({k: {"d": d, "s": setups.get(k, 0.0)} for k, d in durations.items()})


def test_every_test_is_in_exactly_one_share_and_in_collection_order() -> None:
    rng = random.Random(3)
    collection = [f"m{i % 7}.py::t{i}" for i in range(500)]
    history = known({t: rng.lognormvariate(-3, 1.5) for t in collection[::2]})
    cut = shares(collection, history, 3, frozenset())
    assert sorted(i for share in cut for i in share) == list(range(500))
    assert all(share == sorted(share) for share in cut)


def test_shares_balance_by_the_history_not_by_count() -> None:
    collection = ["a.py::long", *(f"b.py::t{i}" for i in range(10))]
    history = known({"a.py::long": 5.0, **{f"b.py::t{i}": 0.5 for i in range(10)}})
    cut = shares(collection, history, 2, frozenset())
    assert [0] in cut  # the long test alone weighs as much as the ten short ones
    assert sorted(map(len, cut)) == [1, 10]


def test_the_same_input_gives_the_same_cut() -> None:
    collection = [f"m.py::t{i}" for i in range(100)]
    history = known({t: 0.01 * (i % 5) for i, t in enumerate(collection)})
    assert shares(collection, history, 4, frozenset()) == shares(
        list(collection), Durations(dict(history.tests)), 4, frozenset()
    )


def test_a_module_with_costly_shared_setup_stays_in_one_share() -> None:
    collection = [f"db.py::t{i}" for i in range(6)] + [f"x.py::t{i}" for i in range(20)]
    durations = dict.fromkeys(collection, 0.05)
    durations["db.py::t0"] = 2.0
    setups = {"db.py::t0": 1.9}
    cut = shares(collection, known(durations, setups), 2, frozenset())
    holding = [k for k, share in enumerate(cut) if any(i < 6 for i in share)]
    assert len(holding) == 1


def test_more_shares_than_tests_leaves_some_empty() -> None:
    cut = shares(["a.py::t"], known({"a.py::t": 1.0}), 3, frozenset())
    assert sorted(map(len, cut)) == [0, 0, 1]


def test_digest_tells_collections_apart() -> None:
    assert digest(["a", "b"]) == digest(["a", "b"]) != digest(["b", "a"])


@pytest.mark.parametrize("value", ["0/2", "3/2", "x", "1/", "1/2/3", "-1/2"])
def test_bad_slice_values_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="K/N"):
        parse(value)


def test_slice_values_parse() -> None:
    assert parse("2/4") == (2, 4)


def test_tests_of_one_xdist_group_go_to_one_share() -> None:
    collection = [f"m{i}.py::t" for i in range(12)]
    history = known(dict.fromkeys(collection, 1.0))
    groups = {0: "db", 5: "db", 11: "db", 3: "cache", 4: "cache"}
    cut = shares(collection, history, 3, frozenset(), groups)
    assert sorted(i for share in cut for i in share) == list(range(12))
    for members in ([0, 5, 11], [3, 4]):
        assert sum(1 for share in cut if set(members) & set(share)) == 1
