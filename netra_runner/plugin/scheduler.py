"""Longest-first scheduling as pure bookkeeping (pytest-xdist's Scheduling protocol).

Work is planned as units, longest first: single tests, or a whole module when its tests share
a module-scoped setup that would be paid again on every worker it were split over. Workers
pull units as they finish. An xdist worker runs a test only once it holds the next one, so
each worker is handed a second test early; behind a long test that lookahead is the lightest
unit left (from the back of the queue), so no heavy test waits behind another. No I/O: nodes
only receive `send_runtest_some` and `shutdown`, so tests drive it with fake nodes.
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from netra_runner.plugin.durations import Durations

UNKNOWN = 0.1  # seconds assumed for a test with no history when nothing else is known
MIN_SHARED_SETUP = 0.05  # a module's shared setup below this is not worth keeping it together
BATCH_SECONDS = 0.05  # keep queuing fast tests until a worker holds this much expected work
LOOKAHEAD = 0.5  # behind a test expected to run longer than this, queue only a light one


class Node(Protocol):
    shutting_down: bool

    def send_runtest_some(self, indices: Sequence[int]) -> None: ...
    def send_steal(self, indices: Sequence[int]) -> None: ...
    def shutdown(self) -> None: ...


@dataclass(frozen=True)
class Unit:
    indices: tuple[int, ...]
    weight: float


def plan(
    collection: Sequence[str],
    history: Durations,
    workers: int,
    first: frozenset[str] = frozenset(),
    chunks: int = 4,
) -> list[Unit]:
    """The collection as units, heaviest first, those holding a `first` test before the rest;
    ties keep collection order. Tests nothing is known of go in about `chunks` units per
    worker."""
    estimate = estimator(collection, history)
    modules: dict[str, list[int]] = {}
    for index, nodeid in enumerate(collection):
        modules.setdefault(nodeid.split("::")[0], []).append(index)
    total = sum(estimate(i) for i in range(len(collection)))
    chunk = max(1, len(collection) // (chunks * max(workers, 1)))
    units: list[Unit] = []
    for indices in modules.values():
        weight = sum(estimate(i) for i in indices)
        shared = _shared_setup([collection[i] for i in indices], history)
        if _keep_together(shared, weight, len(indices), total, workers):
            units.append(Unit(tuple(indices), weight))
        elif all(history.duration(collection[i]) is None for i in indices):
            # Nothing known: contiguous chunks keep what shares fixtures together, as xdist's
            # load scheduling does, until history says better.
            for start in range(0, len(indices), chunk):
                part = indices[start : start + chunk]
                units.append(Unit(tuple(part), sum(estimate(i) for i in part)))
        else:
            units.extend(Unit((i,), estimate(i)) for i in indices)
    return sorted(
        units, key=lambda u: (not any(collection[i] in first for i in u.indices), -u.weight)
    )


def estimator(collection: Sequence[str], history: Durations) -> Callable[[int], float]:
    fallback = history.typical() or UNKNOWN
    by_module: dict[str, list[float]] = {}
    for nodeid in collection:
        known = history.duration(nodeid)
        if known is not None:
            by_module.setdefault(nodeid.split("::")[0], []).append(known)
    module_typical = {m: statistics.median(v) for m, v in by_module.items()}

    def estimate(index: int) -> float:
        nodeid = collection[index]
        known = history.duration(nodeid)
        return known if known is not None else module_typical.get(nodeid.split("::")[0], fallback)

    return estimate


def _shared_setup(nodeids: list[str], history: Durations) -> float:
    """Module-scoped work: the setup a module's first test on a worker pays beyond the others.

    Whichever test ran first on a worker paid it, so compare the most with the least.
    """
    setups = [s for s in (history.setup(n) for n in nodeids) if s is not None]
    if len(setups) < 2:
        return 0.0
    return max(setups) - min(setups)


def _keep_together(shared: float, weight: float, count: int, total: float, workers: int) -> bool:
    if shared < MIN_SHARED_SETUP or count < 2:
        return False
    spread = min(workers, count) - 1  # extra setups paid if split as widely as possible
    balance_loss = max(weight - total / max(workers, 1), 0.0)  # what an unsplittable unit costs
    return shared * spread > balance_loss


class LongestFirst:
    """The xdist Scheduling protocol over `plan`: pull-based, heaviest units first."""

    def __init__(
        self,
        numnodes: int,
        history: Durations,
        log: Callable[..., Any] | None = None,
        first: frozenset[str] = frozenset(),
    ) -> None:
        self.numnodes = numnodes
        self.history = history
        self.first = first  # --failed-first: these go out before anything else
        self.log = log or (lambda *args: None)
        self.node2collection: dict[Any, list[str]] = {}
        self.node2pending: dict[Any, list[int]] = {}
        self.queue: deque[Unit] = deque()
        self.collection: list[str] | None = None
        self.weights: dict[int, float] = {}
        self.steal_from: Any = None  # the node asked to give tests back; one request at a time

    @property
    def nodes(self) -> list[Any]:
        return list(self.node2pending)

    @property
    def collection_is_completed(self) -> bool:
        return len(self.node2collection) >= self.numnodes

    @property
    def tests_finished(self) -> bool:
        if not self.collection_is_completed or self.queue or self.steal_from is not None:
            return False
        return all(len(pending) < 2 for pending in self.node2pending.values())

    @property
    def has_pending(self) -> bool:
        return bool(self.queue) or any(self.node2pending.values())

    def add_node(self, node: Node) -> None:
        assert node not in self.node2pending
        self.node2pending[node] = []

    def add_node_collection(self, node: Node, collection: Sequence[str]) -> None:
        if self.collection is not None and list(collection) != self.collection:
            self.log(f"node collected a different set of tests; ignoring it: {node}")
            return
        self.node2collection[node] = list(collection)

    def schedule(self) -> None:
        assert self.collection_is_completed
        if self.collection is None:
            collections = list(self.node2collection.values())
            if any(c != collections[0] for c in collections[1:]):
                self.log("**Different tests collected, aborting run**")
                return
            self.collection = collections[0]
            units = plan(self.collection, self.history, max(len(self.nodes), 1), self.first)
            self.queue = deque(units)
            self.weights = {i: u.weight / len(u.indices) for u in units for i in u.indices}
        self._fill_all()

    def mark_test_complete(self, node: Node, item_index: int, duration: float = 0) -> None:
        self.node2pending[node].remove(item_index)
        self._fill(node)

    def mark_test_pending(self, item: str) -> None:
        assert self.collection is not None
        self.queue.appendleft(Unit((self.collection.index(item),), 0.0))
        self._fill_all()

    def remove_pending_tests_from_node(self, node: Node, indices: Sequence[int]) -> None:
        """The answer to a steal: these tests left the node's queue (some may have started)."""
        if node is self.steal_from:
            self.steal_from = None
        for index in reversed(indices):
            self.node2pending[node].remove(index)
            self.queue.appendleft(Unit((index,), self.weights.get(index, 0.0)))
        self._fill_all()

    def _wants_more(self, node: Node, held: int, weight: float) -> bool:
        """Whether a node holding `held` tests of `weight` expected seconds gets another."""
        if not held:
            return True
        idle = sum(
            1
            for n, p in self.node2pending.items()
            if n is not node and not p and not n.shutting_down
        )
        if len(self.queue) <= idle:
            return False  # what is left goes to workers that have nothing
        return held < 2 or weight < BATCH_SECONDS

    def remove_node(self, node: Node) -> str | None:
        """A node left (shutdown or crash); what it still held goes back to the queue."""
        pending = self.node2pending.pop(node)
        if node is self.steal_from:
            self.steal_from = None
        if not pending or self.collection is None:
            return None
        crashed, rest = pending[0], pending[1:]
        self.queue.extendleft(Unit((i,), self.weights.get(i, 0.0)) for i in reversed(rest))
        self._fill_all()
        return self.collection[crashed]

    def _fill_all(self) -> None:
        for node in self.nodes:
            self._fill(node)
        for node in self.nodes:  # those filled before the queue ran dry: steal or stop
            if not self.queue and len(self.node2pending[node]) < 2 and not node.shutting_down:
                self._steal_for(node)

    def _fill(self, node: Node) -> None:
        if node.shutting_down:
            return
        pending = self.node2pending[node]
        sending: list[int] = []
        # Summed as it grows: a worker may hold hundreds of fast tests.
        weight = sum(self.weights.get(i, 0.0) for i in pending)
        while self.queue and self._wants_more(node, len(pending) + len(sending), weight):
            last = sending[-1] if sending else pending[-1] if pending else None
            behind_long = last is not None and self.weights.get(last, 0.0) > LOOKAHEAD
            unit = self.queue.pop() if behind_long else self.queue.popleft()
            sending.extend(unit.indices)
            weight += unit.weight
        if sending:
            pending.extend(sending)
            node.send_runtest_some(sending)
        if not self.queue and len(pending) < 2:
            self._steal_for(node)

    def _steal_for(self, node: Node) -> None:
        """An idle worker takes the back half of the busiest one's spare tests, or stops.

        Spare: beyond the running test and the next one. With the queue empty spares only
        shrink, so a worker with nothing to steal now never will have: it can stop.
        """
        if self.steal_from is not None:
            return  # the answer to the request in flight feeds this node too
        spares = {
            other: pending[2:]
            for other, pending in self.node2pending.items()
            if other is not node and not other.shutting_down and len(pending) > 2
        }
        if not spares:
            node.shutdown()
            return
        victim = max(spares, key=lambda n: sum(self.weights.get(i, 0.0) for i in spares[n]))
        spare = spares[victim]
        victim.send_steal(spare[len(spare) // 2 :])
        self.steal_from = victim
