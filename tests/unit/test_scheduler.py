"""LongestFirst as pure bookkeeping, driven by fake xdist nodes."""

from collections.abc import Sequence

from netra_runner.plugin.durations import Durations
from netra_runner.plugin.scheduler import LongestFirst, plan


class FakeNode:
    def __init__(self, name: str) -> None:
        self.name = name
        self.shutting_down = False
        self.received: list[int] = []
        self.steal_requests: list[list[int]] = []

    def send_runtest_some(self, indices: Sequence[int]) -> None:
        self.received.extend(indices)

    def send_steal(self, indices: Sequence[int]) -> None:
        self.steal_requests.append(list(indices))

    def shutdown(self) -> None:
        self.shutting_down = True


def history(**durations: float) -> Durations:
    return Durations({f"t.py::{name}": {"d": d, "s": 0.0} for name, d in durations.items()})


def ids(*names: str) -> list[str]:
    return [f"t.py::{name}" for name in names]


def started(
    collection: list[str], durations: Durations, nodes: int = 2
) -> tuple[LongestFirst, list[FakeNode]]:
    sched = LongestFirst(nodes, durations)
    fakes = [FakeNode(f"gw{i}") for i in range(nodes)]
    for node in fakes:
        sched.add_node(node)
        sched.add_node_collection(node, collection)
    assert sched.collection_is_completed
    sched.schedule()
    return sched, fakes


def test_plan_orders_longest_first_and_keeps_ties_in_collection_order() -> None:
    collection = ids("a", "b", "c", "d")
    units = plan(collection, history(a=0.1, b=3.0, c=0.1, d=1.0), workers=2)
    assert [u.indices for u in units] == [(1,), (3,), (0,), (2,)]


def test_unknown_tests_are_estimated_from_their_module() -> None:
    collection = [*ids("known_slow", "new"), "other.py::x"]
    durations = Durations(
        {"t.py::known_slow": {"d": 2.0, "s": 0.0}, "other.py::x": {"d": 0.5, "s": 0.0}}
    )
    units = plan(collection, durations, workers=2)
    assert [u.indices for u in units] == [(0,), (1,), (2,)]  # new one takes its module's 2.0


def test_module_with_expensive_shared_setup_stays_together() -> None:
    collection = ["m.py::a", "m.py::b", "m.py::c", "n.py::x", "n.py::y"]
    durations = Durations(
        {
            "m.py::a": {"d": 1.1, "s": 1.0},
            "m.py::b": {"d": 0.1, "s": 0.0},
            "m.py::c": {"d": 0.1, "s": 0.0},
            "n.py::x": {"d": 1.0, "s": 0.0},
            "n.py::y": {"d": 1.0, "s": 0.0},
        }
    )
    units = plan(collection, durations, workers=2)
    assert (0, 1, 2) in [u.indices for u in units]
    assert (3,) in [u.indices for u in units] and (4,) in [u.indices for u in units]


def test_a_module_too_big_for_one_worker_is_split_anyway() -> None:
    collection = [f"m.py::t{i}" for i in range(10)]
    tests = {n: {"d": 1.0, "s": 0.0} for n in collection}
    tests["m.py::t0"] = {"d": 1.1, "s": 0.1}
    units = plan(collection, Durations(tests), workers=4)
    assert len(units) == 10


def test_longest_first_with_light_lookaheads_behind_long_tests() -> None:
    collection = ids("short1", "short2", "long", "mid", "short3")
    durations = history(short1=0.1, short2=0.1, long=5, mid=2, short3=0.1)
    sched, (one, two) = started(collection, durations)
    assert one.received == [2, 4]  # long, then the lightest left, not mid
    assert two.received == [3, 1]  # mid starts at once on the other worker
    sched.mark_test_complete(two, 3)
    assert two.received == [3, 1, 0]  # behind a short test, the heaviest left
    sched.mark_test_complete(two, 1)
    assert two.shutting_down and not one.shutting_down  # nothing to steal: it may stop


def test_no_history_falls_back_to_collection_order() -> None:
    collection = ids("a", "b", "c", "d", "e", "f")
    _, (one, two) = started(collection, Durations())
    assert one.received == [0, 1] and two.received == [2, 3]


def test_fast_tests_are_sent_in_batches() -> None:
    collection = ids(*(f"t{i}" for i in range(40)))
    _, (one, _) = started(collection, history(**{f"t{i}": 0.001 for i in range(40)}))
    assert len(one.received) > 2


def test_a_crashed_node_gives_back_what_it_held() -> None:
    collection = ids("a", "b", "c", "d", "e", "f")
    sched, (one, two) = started(collection, history(a=6, b=5, c=4, d=3, e=2, f=1))
    crashed_on = sched.remove_node(one)
    assert crashed_on == "t.py::a"
    replacement = FakeNode("gw2")
    sched.add_node(replacement)
    sched.add_node_collection(replacement, collection)
    sched.schedule()
    handed_out = set(two.received) | set(replacement.received)
    queued = {i for unit in sched.queue for i in unit.indices}
    assert {1, 2, 3, 4, 5} <= handed_out | queued
    assert 0 not in handed_out | queued  # the crashed test is reported, not rerun


def test_different_collections_are_refused() -> None:
    sched = LongestFirst(2, Durations())
    one, two = FakeNode("gw0"), FakeNode("gw1")
    for node, collection in ((one, ids("a")), (two, ids("b"))):
        sched.add_node(node)
        sched.add_node_collection(node, collection)
    sched.schedule()
    assert one.received == [] and sched.collection is None


def test_few_tests_are_spread_over_all_workers() -> None:
    sched, (one, two) = started(ids("a", "b"), history(a=1, b=1))
    assert one.received == [0] and two.received == [1]
    assert one.shutting_down and two.shutting_down
    assert sched.tests_finished  # each node holds fewer than two: they are on their last


def test_an_idle_worker_steals_the_back_half_of_the_busiest_ones_spare_tests() -> None:
    collection = ["m.py::a", "m.py::b", "m.py::c", "m.py::d", "m.py::e", "m.py::f", "n.py::x"]
    durations = Durations({n: {"d": 0.1, "s": 0.0} for n in collection})
    durations.tests["m.py::a"] = {"d": 1.1, "s": 1.0}  # module m shares a costly setup
    sched, (one, two) = started(collection, durations)
    assert one.received == [0, 1, 2, 3, 4, 5] and two.received == [6]
    sched.mark_test_complete(two, 6)
    assert one.steal_requests == [[4, 5]]  # spare: c, d, e, f; the back half
    assert not sched.tests_finished  # not while a steal is in flight
    sched.remove_pending_tests_from_node(one, [4, 5])
    assert two.received == [6, 4, 5]
    assert sched.node2pending[one] == [0, 1, 2, 3]


def test_a_steal_that_comes_back_empty_lets_the_worker_stop() -> None:
    collection = ["m.py::a", "m.py::b", "m.py::c", "m.py::d", "n.py::x"]
    durations = Durations({n: {"d": 0.1, "s": 0.0} for n in collection})
    durations.tests["m.py::a"] = {"d": 1.1, "s": 1.0}
    sched, (one, two) = started(collection, durations)
    sched.mark_test_complete(two, 4)
    assert one.steal_requests == [[3]]
    sched.mark_test_complete(one, 0)
    sched.mark_test_complete(one, 1)
    sched.remove_pending_tests_from_node(one, [])  # too late: it had started them
    assert two.shutting_down
