from netra_runner.config import Category, Defaults
from netra_runner.execution.worker_budget import budget, category_workers
from netra_runner.plugin.durations import Durations

UNIT = Category(paths=("tests/unit",))


def test_budget() -> None:
    assert budget(3) == 3
    assert 1 <= budget("auto") <= 64
    assert budget(None) == budget("auto")


def test_explicit_workers_are_capped_by_the_budget() -> None:
    assert category_workers(Category(paths=("t",), workers=8), Defaults(), 4, Durations()) == 4
    assert category_workers(UNIT, Defaults(workers=1), 4, Durations()) == 1


def test_auto_from_history() -> None:
    small = Durations({f"tests/unit/test_a.py::t{i}": {"d": 0.01} for i in range(20)})
    big = Durations({f"tests/unit/test_a.py::t{i}": {"d": 1.0} for i in range(20)})
    elsewhere = Durations({f"tests/other/test_a.py::t{i}": {"d": 1.0} for i in range(20)})
    assert category_workers(UNIT, Defaults(), 4, small) == 1  # too small to gain from workers
    assert category_workers(UNIT, Defaults(), 4, big) == 4
    assert category_workers(UNIT, Defaults(), 4, elsewhere) == 4  # no history of its own
    assert category_workers(UNIT, Defaults(), 4, Durations()) == 4
