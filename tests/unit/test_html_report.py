import json
import re
from typing import Any

from helpers import timed_run

from netra_runner.reporting.console import closing_line
from netra_runner.reporting.failures_html import LINES, OPEN
from netra_runner.reporting.html_report import render_html
from netra_runner.reporting.json_report import report_data
from netra_runner.results import (
    Attempt,
    CategoryPhases,
    CategoryResult,
    Outcome,
    RunResult,
    Status,
    TestResult,
)


def page(run: RunResult) -> str:
    return render_html(report_data(run), closing_line(run))


def drawn(html: str) -> dict[str, Any]:
    found = re.search(r"<script type=application/json id=tl-data>(.*?)</script>", html, re.S)
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def bars(html: str) -> list[tuple[str, str, list[Any]]]:
    """(lane, kind, bar) for every bar drawn."""
    data = drawn(html)
    kinds = [k[0] for k in data["kinds"]]
    return [
        (lane["name"], kinds[bar[2]], bar)
        for group in data["groups"]
        for lane in group["lanes"]
        for bar in lane["bars"]
    ]


def test_the_page_is_self_contained() -> None:
    html = page(timed_run())
    assert html.startswith("<!doctype html>")
    assert not re.search(r"(src|href)\s*=|@import|url\(|https?://", html)


def test_a_bar_per_attempt_on_lanes_per_service_and_category_worker() -> None:
    html = page(timed_run(tests_per_worker=4))
    data = drawn(html)
    lanes = [lane["name"] for group in data["groups"] for lane in group["lanes"]]
    assert lanes == ["service postgres", "websocket gw0", "websocket gw1"]
    tests = [(lane, kind, bar) for lane, kind, bar in bars(html) if bar[3] >= 0]
    assert len(tests) == 9  # 8 tests, one of them run twice
    flaky = [(kind, bar[4]) for _, kind, bar in tests if data["tests"][bar[3]][0].endswith("gw0_1")]
    assert flaky == [("retried", 1), ("flaky", 2)]
    failed = next(bar for _, kind, bar in tests if kind == "failed")
    assert data["tests"][failed[3]][:3] == ["tests/test_ws.py::test_gw1_0", "websocket", 1]
    assert [kind for lane, kind, _ in bars(html) if lane == "service postgres"] == [
        "starting",
        "healthy",
    ]


def test_bars_sit_where_the_tests_ran() -> None:
    # gw0's first test started 2 s into the run and took 0.5 s.
    data = drawn(page(timed_run()))
    first = next(b for b in data["groups"][0]["lanes"][1]["bars"] if b[3] >= 0)
    assert first[:2] == [2.0, 0.5]
    assert data["groups"][0]["span"] == 6.0


def test_each_attempt_of_a_rerun_test_is_its_own_bar_at_its_own_time() -> None:
    reruns = (Attempt("timeout after 2s", started=1010.0, duration=2.0, worker="gw0"),)
    test = TestResult(
        "unit",
        "t",
        "slow",
        Outcome.PASSED,
        0.3,
        reruns=reruns,
        worker="gw0",
        nodeid="t.py::slow",
        started=1010.0,
        last_started=1012.5,
    )
    run = RunResult((CategoryResult("unit", Status.PASSED, (test,), 4.0),), 5.0, started_at=1000)
    kinds = [(kind, bar[:2]) for _, kind, bar in bars(page(run)) if bar[3] >= 0]
    assert kinds == [("retried", [10.0, 2.0]), ("flaky", [12.5, 0.3])]


def test_the_gaps_on_a_lane_are_explained() -> None:
    run = timed_run()
    phases = CategoryPhases(None, "", started=1001.8, collected=1001.9, finished=1005.5)
    websocket = run.categories[0]
    tests = tuple(
        t if t.worker == "gw0" else t.__class__(**{**t.__dict__, "started": t.started + 0.5})
        for t in websocket.tests
        if t.started is not None
    )
    run = RunResult(
        (CategoryResult(**{**websocket.__dict__, "tests": tests, "phases": phases}),),
        run.duration,
        services=run.services,
        started_at=run.started_at,
    )
    data = drawn(page(run))
    gw0 = data["groups"][0]["lanes"][1]["bars"]
    notes = [data["notes"][-bar[3] - 1] for bar in gw0 if bar[3] < 0]
    assert notes == [
        "waiting for services: postgres (1.60s)",  # healthy 0.1 + 1.5 s into the run
        "not started yet: netra-run start-up, the categories it depends on (0.20s)",
        "pytest start-up and collection (0.10s)",
        "until its first test: workers starting, scheduling (0.10s)",
        "wrap-up: session teardown, plugins' end-of-run work, the process exiting (2.00s)",
    ]
    gw1 = data["groups"][0]["lanes"][2]["bars"]
    assert any(data["notes"][-b[3] - 1].startswith("until its first test") for b in gw1 if b[3] < 0)


def test_a_test_id_cannot_break_out_of_the_page() -> None:
    hostile = "t.py::test[</script><script>alert(1)</script>]"
    test = TestResult(
        "unit", "t", "x", Outcome.FAILED, 0.1, nodeid=hostile, started=1.0, message="<b>no</b>"
    )
    run = RunResult((CategoryResult("unit", Status.FAILED, (test,), 1.0),), 1.0, started_at=0.5)
    html = page(run)
    assert "<script>alert" not in html and "<b>no</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert drawn(html)["tests"][0][0] == hostile


def failure(n: int, message: str = "", details: str = "", output: str = "") -> TestResult:
    return TestResult(
        "unit",
        "t",
        f"t{n}",
        Outcome.FAILED,
        nodeid=f"t.py::t{n}",
        message=message,
        details=details,
        output=output,
    )


def test_the_first_failures_are_open_and_the_rest_folded_to_one_line() -> None:
    tests = tuple(failure(n, message=f"assert {n} == 0\nmore", details="E  x") for n in range(9))
    html = page(RunResult((CategoryResult("unit", Status.FAILED, tests, 1.0),), 1.0))
    opened = re.findall(r"<details class=failure id=failure-\d+ [^>]*?( open)?>", html)
    assert opened == [" open"] * OPEN + [""] * (9 - OPEN)
    assert "<span class=reason>— assert 8 == 0</span>" in html
    assert "<option value='unit'>unit</option>" in html and "id=failure-text" in html


def test_captured_colour_is_colour_and_other_control_codes_are_gone() -> None:
    output = "plain \x1b[31mred words\x1b[0m bell\x07\nprogress 50%\rprogress 100%\n"
    html = page(
        RunResult((CategoryResult("unit", Status.FAILED, (failure(0, output=output),)),), 1)
    )
    assert "<span style='color: #800000" in html and ">red words</span>" in html
    assert "\x1b" not in html and "\x07" not in html and "[31m" not in html
    assert "50%" not in html and "progress 100%" in html  # what a terminal would show


def test_long_output_is_capped_with_what_was_dropped_said() -> None:
    output = "".join(f"l{n}\n" for n in range(1, 501))  # under report.json's cap
    html = page(
        RunResult((CategoryResult("unit", Status.FAILED, (failure(0, output=output),)),), 1)
    )
    assert f"captured output (last {LINES} of 500 lines)" in html
    assert f"[... {500 - LINES} earlier lines dropped]" in html
    assert "\nl500</pre>" in html and "\nl460\n" not in html and "\nl461\n" in html


def test_slowest_lists_only_tests_that_took_measurable_time() -> None:
    html = page(timed_run())
    slowest = re.search(r"<table id=slowest>(.*?)</table>", html)
    assert slowest is not None and slowest.group(1).count("<tr>") == 6
    instant = TestResult("unit", "t", "x", Outcome.PASSED, 0.001, nodeid="t::x", started=1.0)
    empty = page(RunResult((CategoryResult("unit", Status.PASSED, (instant,)),), 1, started_at=1))
    assert "<table id=slowest></table>" in empty


def test_a_merged_report_with_an_outcome_it_does_not_know_draws_it_as_an_error() -> None:
    data = report_data(timed_run())
    data["categories"][0]["tests"][0]["outcome"] = "exploded"
    html = render_html(data, "netra-run: merged")
    kinds = [k[0] for k in drawn(html)["kinds"]]
    first = next(b for b in drawn(html)["groups"][0]["lanes"][1]["bars"] if b[3] >= 0)
    assert kinds[first[2]] == "error"


def test_the_page_names_flaky_tests_skip_reasons_and_services() -> None:
    import dataclasses

    run = timed_run(tests_per_worker=4)
    skipped = CategoryResult("cache", Status.SKIPPED, reason="needs redis: pass --real-services")
    html = page(dataclasses.replace(run, categories=(*run.categories, skipped)))
    flaky = re.search(r"<h2>Flaky</h2><table id=flaky>(.*?)</table>", html, re.S)
    assert flaky is not None and "gw0_1" in flaky.group(1)
    assert "<td class=reason>needs redis: pass --real-services</td>" in html
    services = re.search(r"<table id=services>(.*?)</table>", html, re.S)
    assert services is not None and "<td>postgres</td>" in services.group(1)
