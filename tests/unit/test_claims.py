"""Claims: processes taking the plan's units from one locked counter, each unit once."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from netra_runner.plugin.claims import BATCH_SECONDS, Claims, batch_end


def left_of(weights: list[float]) -> list[float]:
    left = [0.0] * (len(weights) + 1)
    for index in range(len(weights) - 1, -1, -1):
        left[index] = left[index + 1] + weights[index]
    return left


def test_a_slow_unit_is_claimed_alone_and_fast_ones_together() -> None:
    weights = [5.0, 0.001, 0.001, 0.001, 0.001] + [0.001] * 200
    left = left_of(weights)
    assert batch_end(left, 0, 2) == 1  # the slow one alone
    end = batch_end(left, 1, 2)
    assert end > 2 and left[1] - left[end] <= BATCH_SECONDS  # several fast ones, bounded


def test_tests_with_no_measurable_time_are_still_shared_out() -> None:
    left = left_of([0.0] * 1000)  # fast tests' estimates round to nothing
    first = batch_end(left, 0, 2)
    assert first <= 250  # never all of them in one claim: the other worker gets a share
    assert batch_end(left, first, 2) - first <= (1000 - first) // 4


def test_the_tail_is_handed_out_one_unit_at_a_time() -> None:
    left = left_of([0.01] * 4)
    assert [batch_end(left, start, 2) for start in range(4)] == [1, 2, 3, 4]
    assert batch_end(left, 4, 2) == 4  # nothing left


def take_all(path: str, weights: list[float], out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    claims = Claims(Path(path), weights, 4)
    taken: list[int] = []
    while chunk := claims.take():
        taken.extend(chunk)
    out.put(taken)


def test_processes_taking_at_once_take_every_unit_exactly_once(tmp_path: Path) -> None:
    weights = [0.0001] * 3000 + [1.0] * 5
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    path = str(tmp_path / "claims")
    workers = [
        multiprocessing.Process(target=take_all, args=(path, weights, queue)) for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    taken = [position for _ in workers for position in queue.get(timeout=60)]
    for worker in workers:
        worker.join(timeout=60)
    assert sorted(taken) == list(range(len(weights)))
