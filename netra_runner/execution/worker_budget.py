"""How many worker processes: the run's budget, and each category's share of it."""

from __future__ import annotations

import psutil

from netra_runner.config import Category, Defaults
from netra_runner.config.paths import holds
from netra_runner.plugin.durations import Durations

WORKER_MEMORY = 512 * 2**20  # what one pytest worker is allowed to need, for `auto`
SMALL_SUITE = 2.0  # seconds of tests below which starting workers costs more than it gains


def budget(requested: int | str | None) -> int:
    """Worker processes the whole run may use at once: N, or auto from CPUs and free memory."""
    if isinstance(requested, int):
        return max(requested, 1)
    cpus = psutil.cpu_count(logical=True) or 1
    by_memory = int(psutil.virtual_memory().available // WORKER_MEMORY)
    return max(1, min(cpus, by_memory))


def category_workers(category: Category, defaults: Defaults, limit: int, history: Durations) -> int:
    """A category's workers: its own setting, else from its expected duration (1 = no xdist)."""
    setting = category.workers if category.workers is not None else defaults.workers
    if isinstance(setting, int):
        return min(setting, limit)
    known = [
        duration
        for nodeid, entry in history.tests.items()
        if holds(category.paths, nodeid.split("::")[0]) and (duration := entry["d"]) is not None
    ]
    if not known:
        return limit  # no history yet: assume the suite is worth spreading
    if sum(known) < SMALL_SUITE or len(known) < 2:
        return 1
    return max(1, min(limit, len(known)))
