"""The parallel engine on real pytest processes: hangs, crashes, flakes, fail-fast, history."""

import json
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from helpers import JUNIT_XSD, copy_fixture, netra
from junitparser.xunit2 import JUnitXml

from netra_runner.events import read_events


@pytest.fixture
def engine(tmp_path: Path) -> Path:
    return copy_fixture("engine", tmp_path)


def events(project: Path) -> list[dict[str, Any]]:
    return read_events(project / "reports" / "events.ndjson")


def test_a_hanging_test_times_out_where_it_hangs_and_the_rest_runs(engine: Path) -> None:
    ran = netra(engine, "-c", "hang")
    assert ran.code == 1
    assert ran.last_line.startswith("netra-run: 2 passed, 1 failed")
    assert "timeout after 1s" in ran.out
    assert "tests/hang/test_hang.py:9: in test_hangs" in ran.out
    xmlschema.XMLSchema(str(JUNIT_XSD)).validate(str(engine / "reports" / "junit.xml"))


def test_timeout_flag_overrides_the_config(engine: Path) -> None:
    ran = netra(engine, "-c", "hang", "--timeout", "0.5")
    assert "timeout after 0.5s" in ran.out


@pytest.mark.parametrize("category", ["crash_single", "crash_workers"])
def test_a_crash_fails_that_test_and_the_run_goes_on(engine: Path, category: str) -> None:
    ran = netra(engine, "-c", category)
    assert ran.code == 1
    assert ran.last_line.startswith("netra-run: 3 passed, 2 failed, 0 skipped in ")
    assert ran.out.count("crashed while running this test") >= 2
    if category == "crash_single":
        assert (
            "killed by signal 11" in ran.out and "Fatal Python error: Segmentation fault" in ran.out
        )


def test_flaky_and_always_failing_tests(engine: Path) -> None:
    ran = netra(engine, "-c", "flaky")
    assert ran.code == 1
    assert "FLAKY [flaky] tests/flaky/test_flaky.py:6" in ran.out
    assert ran.last_line.startswith("netra-run: 2 passed, 1 failed, 0 skipped, 1 flaky in ")
    path = engine / "reports" / "junit.xml"
    xmlschema.XMLSchema(str(JUNIT_XSD)).validate(str(path))
    cases: dict[str, Any] = {
        case.name: case for suite in JUnitXml.fromfile(str(path)) for case in suite
    }
    flaky = cases["test_passes_on_the_second_attempt"]
    assert [f.message for f in flaky.flaky_failures()] == ["AssertionError: attempt 1 fails"]
    broken = cases["test_always_fails"]
    assert len(broken.rerun_failures()) == 2 and broken.is_failure


def test_retries_flag_overrides_the_config(engine: Path) -> None:
    ran = netra(engine, "-c", "flaky", "--retries", "0")
    assert "flaky" not in ran.last_line
    assert ran.last_line.startswith("netra-run: 1 passed, 2 failed")


def test_fail_fast_stops_every_category_and_says_what_did_not_run(engine: Path) -> None:
    ran = netra(engine, "-c", "slow,quick_fail", "-x", timeout=60)
    assert ran.code == 1
    assert "slow: --fail-fast stopped the run after the first failure" in ran.out
    assert ran.last_line.startswith("netra-run: 0 passed, 1 failed, 0 skipped, 2 not run in ")
    finished = {e["category"]: e for e in events(engine) if e["event"] == "category_finished"}
    assert finished["slow"]["status"] == "stopped"
    failure_at = next(e["t"] for e in events(engine) if e.get("outcome") == "failed")
    assert float(finished["slow"]["t"]) - float(failure_at) < 5  # slow sleeps 30s


def test_the_category_ceiling_kills_and_reports_what_did_not_finish(engine: Path) -> None:
    ran = netra(engine, "-c", "stuck", timeout=60)
    assert ran.code == 1
    assert "stuck: timed out after 3s (category_timeout); its processes were killed" in ran.out
    assert ran.last_line.startswith("netra-run: 1 passed, 0 failed, 0 skipped, 2 not run")


def test_categories_run_at_the_same_time(engine: Path) -> None:
    ran = netra(engine, "-c", "hang,flaky", "-n", "2")
    assert ran.code == 1
    started = {
        e["category"]: float(e["t"]) for e in events(engine) if e["event"] == "category_started"
    }
    finished = {
        e["category"]: float(e["t"]) for e in events(engine) if e["event"] == "category_finished"
    }
    assert started["flaky"] < finished["hang"] and started["hang"] < finished["flaky"]


def test_event_stream_and_history(engine: Path) -> None:
    netra(engine, "-c", "modules")
    kinds = [e["event"] for e in events(engine)]
    assert kinds[0] == "run_started" and kinds[-1] == "run_finished"
    assert {
        "category_started",
        "collected",
        "test_started",
        "test_finished",
        "category_finished",
    } <= set(kinds)
    finished = [e for e in events(engine) if e["event"] == "test_finished"]
    assert len(finished) == 12 and all(e["category"] == "modules" and e["worker"] for e in finished)
    history = json.loads((engine / ".netra" / "durations.json").read_text())["tests"]
    assert len(history) == 12
    first = history["tests/modules/test_mod_a.py::test_uses_shared[0]"]
    assert first["s"] > 0.25  # the module fixture's setup is measured on the first test


def test_a_corrupt_history_is_replaced(engine: Path) -> None:
    (engine / ".netra").mkdir()
    (engine / ".netra" / "durations.json").write_text("{ this is not json")
    ran = netra(engine, "-c", "modules")
    assert ran.code == 0, ran.out + ran.err
    assert len(json.loads((engine / ".netra" / "durations.json").read_text())["tests"]) == 12


def test_warm_runs_start_the_longest_tests_first(engine: Path) -> None:
    (engine / "tests" / "modules" / "test_mod_z.py").write_text(
        "import time\n\ndef test_long():\n    time.sleep(1.0)\n"
    )
    netra(engine, "-c", "modules", "-n", "2")
    # xdist's pull-based scheduler; shares cut in advance run in collection order instead
    netra(engine, "-c", "modules", "-n", "2", "--xdist")
    starts = [e["nodeid"] for e in events(engine) if e["event"] == "test_started"]
    assert "test_mod_z.py::test_long" in starts[0] or "test_mod_z.py::test_long" in starts[1]


def test_small_categories_run_without_workers_once_history_says_so(engine: Path) -> None:
    first = netra(engine, "-c", "flaky", "--retries", "0")
    second = netra(engine, "-c", "hang", "--plan")
    assert "START       flaky" in first.out
    assert "-n " not in second.out  # hang sets workers: 1
    (engine / "categories.yaml").write_text(
        (engine / "categories.yaml").read_text().replace("retries: 2\n    workers: 1", "retries: 2")
    )
    plan = netra(engine, "-c", "flaky", "--plan", "-n", "2")
    assert " -n " not in plan.out  # history: a fraction of a second, not worth workers
