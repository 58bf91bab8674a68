import json
from pathlib import Path

from helpers import timed_run

from netra_runner.reporting.json_report import TEXT_CAP, cap, report_data, write_json


def test_the_report_has_a_version_totals_and_every_category() -> None:
    data = report_data(timed_run())
    assert data["version"] == 1
    assert data["exit_code"] == 1
    assert data["totals"] == {
        "passed": 5,
        "failed": 1,
        "error": 0,
        "skipped": 0,
        "xfailed": 0,
        "xpassed": 0,
        "not run": 0,
        "infrastructure": 0,
        "flaky": 1,
        "subtests passed": 0,
        "warnings": 0,
    }
    assert [c["name"] for c in data["categories"]] == ["websocket", "e2e"]
    assert data["categories"][0]["services"] == ["postgres"]
    assert data["categories"][0]["workers"] == 2
    assert data["services"] == [
        {
            "name": "postgres",
            "seconds_to_healthy": 1.5,
            "reused": False,
            "setup_seconds": 0.0,
            "started": 0.1,
            "down": None,
            "down_reason": "",
        }
    ]


def test_text_is_kept_only_for_failures_and_flaky_tests_and_capped() -> None:
    tests = {t["id"]: t for t in report_data(timed_run())["categories"][0]["tests"]}
    passed = tests["tests/test_ws.py::test_gw0_0"]
    assert set(passed) == {
        "id",
        "file",
        "line",
        "outcome",
        "duration",
        "worker",
        "started",
        "attempts",
    }
    assert passed["started"] == 2.0
    failed = tests["tests/test_ws.py::test_gw1_0"]
    assert failed["message"] == "boom"
    assert len(failed["output"]) < TEXT_CAP + 40
    assert failed["output"].startswith("[... 6000 characters cut]")
    flaky = tests["tests/test_ws.py::test_gw0_1"]
    assert (flaky["flaky"], flaky["attempts"]) == (True, 2)
    assert flaky["reruns"] == [  # the helper's rerun carries no timing
        {"message": "first try failed", "outcome": "failed", "started": None, "duration": 0.0}
        | {"worker": ""}
    ]
    assert flaky["last_started"] is None


def test_a_large_run_stays_small_per_passing_test(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    write_json(report_data(timed_run(tests_per_worker=500)), path)
    data = json.loads(path.read_text())
    assert len(data["categories"][0]["tests"]) == 1000
    assert path.stat().st_size < 1000 * 250 + 2 * TEXT_CAP


def test_cap_keeps_the_end_where_the_error_is() -> None:
    assert cap("short") == "short"
    assert cap("a" * 10 + "END", limit=5) == "[... 8 characters cut]\naaEND"
