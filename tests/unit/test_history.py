import json
import multiprocessing
from pathlib import Path

from netra_runner.execution.history import record, samples
from netra_runner.plugin.durations import Durations, Sample
from netra_runner.plugin.nodeids import rebase


def test_missing_and_corrupt_files_are_an_empty_history(tmp_path: Path) -> None:
    path = tmp_path / "durations.json"
    assert Durations.load(path).tests == {}
    for text in (
        "{not json",
        "[]",
        '{"version": 99, "tests": {}}',
        '{"version": 1, "tests": {"a": "x"}}',
    ):
        path.write_text(text)
        assert Durations.load(path).tests == {}


def test_record_merges_and_smooths(tmp_path: Path) -> None:
    path = tmp_path / ".netra" / "durations.json"
    record(path, [Sample("t::a", 2.0, 0.5)])
    record(path, [Sample("t::a", 4.0, 0.5), Sample("t::b", 1.0, 0.0)])
    history = Durations.load(path)
    assert history.duration("t::a") == 3.0 and history.setup("t::a") == 0.5
    assert history.duration("t::b") == 1.0
    assert json.loads(path.read_text())["version"] == 1


def test_record_replaces_a_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "durations.json"
    path.write_text("garbage")
    record(path, [Sample("t::a", 1.0, 0.0)])
    assert Durations.load(path).duration("t::a") == 1.0


def _write_many(path: str, start: int) -> None:
    for i in range(start, start + 20):
        record(Path(path), [Sample(f"t::{i}", float(i), 0.0)])


def test_concurrent_runs_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "durations.json"
    context = multiprocessing.get_context("spawn")
    procs = [context.Process(target=_write_many, args=(str(path), n * 100)) for n in range(3)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
    assert len(Durations.load(path).tests) == 60


def test_samples_take_final_attempts_that_ran() -> None:
    events: list[dict[str, object]] = [
        {"event": "test_finished", "nodeid": "a", "outcome": "rerun", "duration": 9, "setup": 0},
        {"event": "test_finished", "nodeid": "a", "outcome": "passed", "duration": 1, "setup": 0.1},
        {"event": "test_finished", "nodeid": "b", "outcome": "skipped", "duration": 0, "setup": 0},
        {"event": "test_finished", "nodeid": "c", "outcome": "crashed", "duration": 0, "setup": 0},
        {"event": "collected", "tests": ["a"]},
    ]
    assert samples(events) == [Sample("a", 1.0, 0.1)]


def test_a_nested_projects_history_is_read_relative_to_its_rootdir() -> None:
    durations = Durations({"examples/demo/tests/t.py::a": {"d": 2.0}, "tests/t.py::b": {"d": 1.0}})
    nested = durations.relative_to("examples/demo")
    assert nested.tests == {"tests/t.py::a": {"d": 2.0}}
    assert durations.relative_to(".") is durations


def test_ids_are_rebased_onto_the_folder_pytest_started_in() -> None:
    assert rebase("tests/t.py::TestA::test_b[x/y]", "examples/demo") == (
        "examples/demo/tests/t.py::TestA::test_b[x/y]"
    )
    assert rebase("tests/t.py::a", ".") == "tests/t.py::a"
    assert rebase("", "examples/demo") == ""
