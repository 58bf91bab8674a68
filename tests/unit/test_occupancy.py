"""A running category's hold on the worker budget, from its events."""

from netra_runner.execution.occupancy import Occupancy


def feed(occupancy: Occupancy, *events: dict[str, object]) -> None:
    for event in events:
        occupancy.on_event({"category": "unit", **event})


def test_a_category_holds_all_its_workers_until_every_test_started() -> None:
    occupancy = Occupancy()
    assert occupancy.workers("unit", 2) == 2  # nothing collected yet
    feed(occupancy, {"event": "collected", "tests": ["a", "b", "c"]})
    feed(occupancy, {"event": "test_started", "nodeid": "a"})
    feed(occupancy, {"event": "test_started", "nodeid": "b"})
    feed(occupancy, {"event": "test_finished", "nodeid": "a", "outcome": "passed"})
    assert occupancy.workers("unit", 2) == 2  # c is still to start


def test_in_its_tail_it_holds_only_the_workers_running_tests() -> None:
    occupancy = Occupancy()
    feed(occupancy, {"event": "collected", "tests": ["a", "b"]})
    feed(occupancy, {"event": "test_started", "nodeid": "a"})
    feed(occupancy, {"event": "test_started", "nodeid": "b"})
    assert occupancy.workers("unit", 2) == 2
    feed(occupancy, {"event": "test_finished", "nodeid": "a", "outcome": "passed"})
    assert occupancy.workers("unit", 2) == 1
    feed(occupancy, {"event": "test_finished", "nodeid": "b", "outcome": "rerun"})
    assert occupancy.workers("unit", 2) == 1  # its rerun runs on
    feed(occupancy, {"event": "test_finished", "nodeid": "b", "outcome": "passed"})
    assert occupancy.workers("unit", 2) == 0


def test_shares_collect_their_parts_and_a_forgotten_category_starts_over() -> None:
    occupancy = Occupancy()
    feed(occupancy, {"event": "collected", "tests": ["a"]}, {"event": "collected", "tests": ["b"]})
    feed(occupancy, {"event": "test_started", "nodeid": "a"})
    assert occupancy.workers("unit", 2) == 2  # b, of the other share, has not started
    occupancy.forget("unit")
    assert occupancy.workers("unit", 2) == 2
    occupancy.on_event({"event": "run_started"})  # not a category's: ignored


def test_a_sliced_category_has_collected_once_every_share_said_so() -> None:
    occupancy = Occupancy()
    share = {"count": 2}
    feed(occupancy, {"event": "collected", "tests": ["a"], "slice": share})
    feed(occupancy, {"event": "test_started", "nodeid": "a"})
    assert occupancy.workers("unit", 2) == 2  # the other share is still collecting
    feed(occupancy, {"event": "collected", "tests": ["b"], "slice": share})
    feed(occupancy, {"event": "test_started", "nodeid": "b"})
    feed(occupancy, {"event": "test_finished", "nodeid": "a", "outcome": "passed"})
    assert occupancy.workers("unit", 2) == 1
