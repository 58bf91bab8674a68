"""Plugs LongestFirst into pytest-xdist through its `pytest_xdist_make_scheduler` hook."""

from __future__ import annotations

from typing import Any

import pytest
from xdist.workermanage import parse_tx_spec_config

from netra_runner.plugin.durations import Durations
from netra_runner.plugin.scheduler import LongestFirst


class SchedulerPlugin:
    def __init__(
        self, durations_path: str | None, base: str = ".", first: frozenset[str] = frozenset()
    ) -> None:
        self.durations_path = durations_path
        self.first = first
        self.base = base  # the history names tests from the project root; xdist from rootdir

    @pytest.hookimpl(tryfirst=True, optionalhook=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> LongestFirst:
        numnodes = len(parse_tx_spec_config(config))
        history = Durations.load(self.durations_path).relative_to(self.base)
        return LongestFirst(numnodes, history, log, self.first)
