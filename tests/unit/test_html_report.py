import re

from helpers import timed_run

from netra_runner.reporting.html_report import render_html
from netra_runner.reporting.timeline import lanes
from netra_runner.results import CategoryResult, Outcome, RunResult, Status, TestResult


def test_the_page_is_self_contained() -> None:
    page = render_html(timed_run())
    assert page.startswith("<!doctype html>")
    assert not re.search(r"(src|href)\s*=|@import|url\(", page)


def test_one_bar_per_test_and_two_per_service_with_what_hover_shows() -> None:
    page = render_html(timed_run(tests_per_worker=4))
    bars = re.findall(r"<i class='bar k-(\w[\w-]*)'[^>]*title='([^']*)'", page)
    tests = [title for kind, title in bars if kind not in ("starting", "healthy")]
    assert len(tests) == 8
    assert "tests/test_ws.py::test_gw1_0 0.500s failed" in tests
    assert [kind for kind, _ in bars].count("flaky") == 1
    assert [kind for kind, _ in bars][:2] == ["starting", "healthy"]


def test_lanes_are_per_service_and_per_category_worker() -> None:
    assert [lane.name for lane in lanes(timed_run())] == [
        "service postgres",
        "websocket gw0",
        "websocket gw1",
    ]


def test_bars_sit_where_the_tests_ran() -> None:
    page = render_html(timed_run())
    # The run spans 6 s; gw0's first test started 2 s in and took 0.5 s.
    assert "left:33.333%;width:8.333%' title='tests/test_ws.py::test_gw0_0 0.500s passed'" in page


def test_failures_are_listed_and_text_is_escaped() -> None:
    test = TestResult("unit", "t", "x", Outcome.FAILED, message="<script>alert(1)</script>")
    run = RunResult((CategoryResult("unit", Status.FAILED, (test,), 1.0),), 1.0)
    page = render_html(run)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "FAILED [unit]" in page
