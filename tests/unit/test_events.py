import json
import shutil
import threading
from pathlib import Path

from netra_runner.events import CategoryTail, EventLog, read_events
from netra_runner.execution.phases import PhaseClock
from netra_runner.execution.suite_events import SuiteEvents, junit_names
from netra_runner.results import Outcome


def test_a_half_written_line_waits_for_its_end(tmp_path: Path) -> None:
    path = tmp_path / "events.ndjson"
    path.write_text('{"event": "a"}\n{"event": "b", "x"')
    tail = CategoryTail("unit", path)
    assert tail.read_new() == [{"event": "a", "category": "unit"}]
    with path.open("a") as out:
        out.write(": 1}\n")
    assert tail.read_new() == [{"event": "b", "x": 1, "category": "unit"}]
    assert tail.read_new() == []
    tail.close()


def test_a_deleted_event_file_is_still_read_and_a_new_one_followed(tmp_path: Path) -> None:
    """A test that deletes the reports folder takes nothing its category wrote."""
    path = tmp_path / "categories" / "unit" / "events.ndjson"
    path.parent.mkdir(parents=True)
    writer = path.open("a")
    writer.write('{"event": "a"}\n')
    writer.flush()
    tail = CategoryTail("unit", path)
    assert [e["event"] for e in tail.read_new()] == ["a"]
    shutil.rmtree(tmp_path / "categories")
    writer.write('{"event": "b"}\n')  # the writer's handle outlives the name
    writer.close()
    assert [e["event"] for e in tail.read_new()] == ["b"]
    path.parent.mkdir(parents=True)
    path.write_text('{"event": "c"}\n')  # a restarted process writes a new file
    assert [e["event"] for e in tail.read_new()] == ["c"]
    assert [e["event"] for e in tail.seen] == ["a", "b", "c"]
    tail.close()


def test_the_event_stream_is_written_back_when_its_folder_is_deleted(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "reports" / "events.ndjson")
    log.emit("run_started")
    shutil.rmtree(tmp_path / "reports")
    log.emit("run_finished")
    log.close()
    assert log.restored
    events = read_events(tmp_path / "reports" / "events.ndjson")
    assert [e["event"] for e in events] == ["run_started", "run_finished"]


def test_event_log_follows_categories_and_tells_listeners(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "events.ndjson")
    seen: list[str] = []
    log.listen(lambda event: seen.append(event["event"]))
    log.emit("run_started")
    (tmp_path / "unit.ndjson").write_text('{"event": "test_finished", "nodeid": "x"}\n')
    log.follow("unit", tmp_path / "unit.ndjson")
    log.unfollow(tmp_path / "unit.ndjson")
    log.close()
    assert seen == ["run_started", "test_finished"]
    assert read_events(tmp_path / "events.ndjson")[1]["category"] == "unit"


def test_garbage_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "e.ndjson"
    path.write_text('not json\n[1]\n{"event": "ok"}\n')
    assert read_events(path) == [{"event": "ok"}]


def test_suite_results_with_attempts_and_unfinished_tests() -> None:
    suite = SuiteEvents.of(
        [
            {"event": "collected", "tests": ["t.py::a", "t.py::b", "t.py::c"]},
            {"event": "test_started", "nodeid": "t.py::a"},
            {
                "event": "test_finished",
                "nodeid": "t.py::a",
                "outcome": "rerun",
                "message": "boom",
                "phase": "call",
                "t": 102.0,
                "duration": 2.0,
                "worker": "gw1",
            },
            {
                "event": "test_finished",
                "nodeid": "t.py::a",
                "outcome": "passed",
                "duration": 0.5,
                "line": 3,
                "t": 103.0,
            },
            {"event": "test_started", "nodeid": "t.py::b"},
            {"event": "collect_error", "nodeid": "u.py", "message": "collection error in u.py"},
        ]
    )
    assert suite.running(set()) == "t.py::b"
    assert suite.unfinished(set()) == ["t.py::b", "t.py::c"]
    assert suite.unfinished({"t.py::b"}) == ["t.py::c"]
    error, flaky = suite.results("unit")
    assert (error.outcome, error.file) == (Outcome.ERROR, "u.py")
    assert (
        flaky.flaky
        and flaky.reruns[0].message == "boom"
        and flaky.reruns[0].outcome is Outcome.FAILED
    )
    # Each attempt where it ran, when, for how long: the timeline draws each as a bar.
    first = flaky.reruns[0]
    assert (first.started, first.duration, first.worker) == (100.0, 2.0, "gw1")
    assert (flaky.started, flaky.last_started, flaky.duration) == (100.0, 102.5, 0.5)


def test_junit_names_follow_pytest() -> None:
    assert junit_names("tests/test_a.py::TestX::test_y[1-2]") == (
        "tests.test_a.TestX",
        "test_y[1-2]",
    )
    assert junit_names("tests/test_a.py") == ("", "tests.test_a")


def test_a_category_file_read_from_two_threads_at_once_counts_each_line_once(
    tmp_path: Path,
) -> None:
    """The main loop polls while the category's thread reads its events to judge it."""
    path = tmp_path / "events.ndjson"
    tail = CategoryTail("unit", path)
    lines = 3000
    writing = threading.Event()

    def write() -> None:
        with path.open("a", encoding="utf-8") as out:
            for n in range(lines):
                out.write(json.dumps({"event": "test_finished", "n": n}) + "\n")
                out.flush()
        writing.set()

    def read() -> None:
        while not writing.is_set():
            tail.read_new()
        tail.read_new()

    threads = [threading.Thread(target=write), *(threading.Thread(target=read) for _ in range(4))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tail.read_new()
    tail.close()
    assert sorted(e["n"] for e in tail.snapshot()) == list(range(lines))


def test_the_phase_clock_keeps_when_each_category_first_reached_each_step() -> None:
    clock = PhaseClock()
    for t, event, fields in (
        (1.0, "category_waiting", {"reason": "waiting for workers (2 of 2 in use)"}),
        (2.0, "category_started", {}),
        (2.5, "collected", {"tests": ["t.py::a"]}),
        (3.0, "collected", {"tests": ["t.py::b"]}),  # a second share, or a restart
        (4.0, "category_started", {}),  # started again after its service came back
        (5.0, "category_finished", {}),
    ):
        clock.on_event({"t": t, "event": event, "category": "unit", **fields})
    clock.on_event({"t": 1.0, "event": "category_finished", "category": "never"})
    clock.on_event({"event": "category_started", "category": "unit"})  # no time: ignored
    phases = clock.of("unit")
    assert phases is not None
    assert (phases.waiting, phases.started, phases.collected, phases.finished) == (1, 2, 2.5, 5)
    assert phases.waiting_reason == "waiting for workers (2 of 2 in use)"
    assert clock.of("never") is None and clock.of("unknown") is None
