"""Work handed out as the run goes: the W processes of a sliced category share one counter
over the plan's units (plugin/slices.py), and each takes the next units when it is ready
for more, so no process idles while another still has a queue.

Every process computes the same plan from the same collection and history snapshot, so a
claim is only a range of positions in it: a file holding the next free position, taken
under an exclusive lock. Fast units are taken several at a time (a claim costs a lock and
two small writes), slow ones one by one, and near the end one by one again, so the last
units spread over every process.

Standard library only: imported by the pytest plugin in every sliced process.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Sequence
from pathlib import Path

BATCH_SECONDS = 0.05  # keep taking fast units until a claim holds this much expected work


class Claims:
    def __init__(self, path: Path, weights: Sequence[float], workers: int) -> None:
        self.path = path
        self.workers = max(workers, 1)
        self._left = _suffix_sums(weights)  # expected work from each position to the end

    def take(self) -> range:
        """The next positions this process runs; empty once every unit was handed out."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            start = _read(fd)
            end = batch_end(self._left, start, self.workers)
            if end > start:
                os.lseek(fd, 0, os.SEEK_SET)
                os.ftruncate(fd, 0)
                os.write(fd, str(end).encode())
            return range(start, end)
        finally:
            os.close(fd)  # releases the lock


def batch_end(left: Sequence[float], start: int, workers: int) -> int:
    """Where a claim from `start` ends: at least one unit, then more while the claim stays
    under BATCH_SECONDS and under a fair part of what is left, in expected time and in
    units (estimates of fast tests are near zero: by time alone one claim took them all)."""
    total = len(left) - 1
    if start >= total:
        return total
    budget = min(BATCH_SECONDS, left[start] / (2 * workers))
    most = start + max(1, (total - start) // (2 * workers))
    end = start + 1
    while end < most and left[start] - left[end + 1] <= budget:
        end += 1
    return end


def _suffix_sums(weights: Sequence[float]) -> list[float]:
    left = [0.0] * (len(weights) + 1)
    for index in range(len(weights) - 1, -1, -1):
        left[index] = left[index + 1] + weights[index]
    return left


def _read(fd: int) -> int:
    text = os.read(fd, 32).decode(errors="replace").strip()
    return int(text) if text.isdigit() else 0
