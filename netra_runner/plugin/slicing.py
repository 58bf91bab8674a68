"""This process as one of a category's workers: it collects everything, computes the
same plan as the others (slices.py) and runs the units it claims as it goes (claims.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netra_runner.plugin import agreement as agreed
from netra_runner.plugin.agreement import WorkerEvent
from netra_runner.plugin.nodeids import first_ids, rebase


def slicing_for(config: pytest.Config, base: str) -> Slicing | None:
    value = config.getoption(agreed.SLICE.dest)
    if not value:
        return None
    from netra_runner.plugin import slices

    try:
        index, count = slices.parse(value)
    except ValueError as exc:
        raise pytest.UsageError(f"{agreed.SLICE.flag}: {exc}") from None
    claims = config.getoption(agreed.CLAIMS.dest)
    if not claims:
        raise pytest.UsageError(f"{agreed.SLICE.flag} needs {agreed.CLAIMS.flag}: its work")
    sliced = Slicing(
        index, count, config.getoption(agreed.DURATIONS.dest), base, first_ids(config, base)
    )
    sliced.claims = Path(claims)
    config.pluginmanager.register(sliced, "netra-slicing")
    return sliced


class Slicing:
    """This process is worker `index` of `count`, claiming its work as it goes
    (plugin/slices.py, claims.py)."""

    def __init__(
        self, index: int, count: int, durations: str | None, base: str, first: frozenset[str]
    ) -> None:
        self.index, self.count = index, count
        self.durations, self.base, self.first = durations, base, first
        self.collected: dict[str, Any] = {}  # what the whole collection was, for its event
        self.worker = f"gw{index - 1}"  # as xdist would name it: reports show one lane each
        self.claims = Path()  # the file of the counter every process claims units from
        self.units: list[tuple[int, ...]] = []
        self.weights: list[float] = []
        self.emit: Any = lambda *args, **fields: None  # the event writer's, once there is one

    @pytest.hookimpl(trylast=True)  # after -k, -m and --netra-first had their say
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        from netra_runner.plugin import slices
        from netra_runner.plugin.durations import Durations

        ids = [item.nodeid for item in items]
        history = Durations.load(self.durations).relative_to(self.base)
        groups = dict(_xdist_groups(items))
        self.collected = {
            "index": self.index,
            "count": self.count,
            "of": len(ids),
            "digest": slices.digest(ids),
        }
        # every process keeps the whole collection: it claims what it runs as it goes
        planned = slices.units(ids, history, self.count, self.first, groups)
        self.units = [unit.indices for unit in planned]
        self.weights = [unit.weight for unit in planned]
        self.collected["pull"] = True

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        """pytest's own loop over the items this process claims as it goes. The next item is
        known before the current one ends, as pytest (and xdist's workers) need it to be:
        module and session fixtures tear down where plain pytest would tear them down."""
        if session.config.option.collectonly:
            return None
        if session.testsfailed and not session.config.option.continue_on_collection_errors:
            raise session.Interrupted(f"{session.testsfailed} errors during collection")
        claimed = self._claimed(session.items)
        item = next(claimed, None)
        while item is not None:
            following = next(claimed, None)
            item.config.hook.pytest_runtest_protocol(item=item, nextitem=following)
            if session.shouldfail:
                raise session.Failed(session.shouldfail)
            if session.shouldstop:
                raise session.Interrupted(session.shouldstop)
            item = following
        return True

    def _claimed(self, items: list[pytest.Item]) -> Iterator[pytest.Item]:
        from netra_runner.plugin.claims import Claims

        claims = Claims(self.claims, self.weights, self.count)
        while taken := claims.take():
            chosen = [items[i] for position in taken for i in self.units[position]]
            self.emit(
                WorkerEvent.CLAIMED, tests=[rebase(item.nodeid, self.base) for item in chosen]
            )
            yield from chosen

    @pytest.fixture(scope="session")
    def worker_id(self) -> str:
        """xdist's fixture, as a worker of its would answer (xdist's says "master" here)."""
        return self.worker


def _xdist_groups(items: list[pytest.Item]) -> Iterator[tuple[int, str]]:
    """Each test's `xdist_group` name (as a marker argument, or `name=`)."""
    for index, item in enumerate(items):
        mark = item.get_closest_marker("xdist_group")
        name = (mark.args[0] if mark.args else mark.kwargs.get("name")) if mark else None
        if name is not None:
            yield index, str(name)
