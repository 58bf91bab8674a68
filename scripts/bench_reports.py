"""Time and peak memory to write every report for a synthetic 20,000-test run.

    python scripts/bench_reports.py [--tests 20000] [--browser]

--browser also opens report.html in headless Chromium (Playwright driving the system's
chromium) and prints how long it takes to load and draw: the median of 3 fresh page loads.

The run has 10 categories on 4 workers each, 2% failures carrying long tracebacks and 20 KB of
captured output, 1% flaky tests and two services: the shape of a large monorepo's CI run.
Memory is measured with tracemalloc in a second pass, so it does not slow the timed one.
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from rich.console import Console

from netra_runner.options import ReportPaths
from netra_runner.reporting.summary import print_summary, write_reports
from netra_runner.results import (
    Attempt,
    CategoryResult,
    Outcome,
    RunResult,
    ServiceTiming,
    Status,
    TestResult,
)

CATEGORIES = 10
WORKERS = 4
T0 = 1_800_000_000.0


def synthetic_run(count: int) -> RunResult:
    per_category = count // CATEGORIES
    categories = tuple(_category(f"category_{c}", c, per_category) for c in range(CATEGORIES))
    services = (ServiceTiming("postgres", 1.6, False, T0), ServiceTiming("redis", 0.7, False, T0))
    return RunResult(
        categories,
        600.0,
        services=services,
        started_at=T0,
        service_logs={"postgres": "LOG: ready\n" * 50, "redis": "Ready\n" * 50},
    )


def _category(name: str, index: int, count: int) -> CategoryResult:
    tests = tuple(_test(name, index * count + n) for n in range(count))
    status = Status.FAILED if any(t.outcome.is_bad for t in tests) else Status.PASSED
    return CategoryResult(
        name, status, tests, 60.0, services=("postgres", "redis"), workers=WORKERS
    )


def _test(category: str, n: int) -> TestResult:
    failed = n % 50 == 0
    flaky = n % 100 == 1
    worker = f"gw{n % WORKERS}"
    began = T0 + 2.0 + (n % 1000) * 0.06
    module = f"tests/{category}/test_module_{n // 40}.py"
    return TestResult(
        category,
        module.replace("/", ".")[:-3],
        f"test_case_{n}",
        Outcome.FAILED if failed else Outcome.PASSED,
        duration=0.05 + (n % 7) * 0.01,
        file=module,
        line=10 + n % 40,
        message=f"AssertionError: expected {n} got {n + 1}" if failed else "",
        details=("  File line\n    assert x == y\n" * 60) if failed else "",
        output=("captured line of output\n" * 900) if failed else "",
        reruns=(Attempt("first attempt failed", started=began, duration=0.05, worker=worker),)
        if flaky
        else (),
        worker=worker,
        nodeid=f"{module}::test_case_{n}",
        started=began,
        last_started=began + 0.05 if flaky else None,
    )


def write_all(run: RunResult, folder: Path) -> None:
    write_reports(
        run, ReportPaths(folder / "junit.xml", folder / "report.json", folder / "report.html")
    )
    print_summary(run, Console(file=io.StringIO(), width=120), env={})


def browser_load(page: Path, loads: int = 3) -> list[float]:
    """Seconds from navigation to the first frame drawn after the page's load event."""
    import shutil

    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    seconds = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for _ in range(loads):
            tab = browser.new_page(viewport={"width": 1400, "height": 900})
            began = time.perf_counter()
            tab.goto(page.as_uri(), wait_until="load")
            tab.evaluate(FRAME)
            seconds.append(time.perf_counter() - began)
            tab.close()
        browser.close()
    return seconds


FRAME = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", type=int, default=20_000)
    parser.add_argument("--browser", action="store_true", help="time report.html in Chromium")
    args = parser.parse_args()
    count = args.tests
    run = synthetic_run(count)
    with tempfile.TemporaryDirectory() as folder:
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        began = time.perf_counter()
        write_all(run, Path(folder))
        seconds = time.perf_counter() - began
        rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
        sizes = {p.name: p.stat().st_size for p in Path(folder).iterdir()}
        loads = browser_load(Path(folder) / "report.html") if args.browser else []
        tracemalloc.start()
        write_all(run, Path(folder))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    print(f"{count} tests: all reports and the console summary in {seconds:.2f}s")
    print(f"  peak Python allocations while writing: {peak / 2**20:.0f} MiB (tracemalloc)")
    print(
        f"  peak resident memory growth while writing: {rss_growth / 2**10:.0f} MiB "
        "(includes the XML library's native memory)"
    )
    for name, size in sorted(sizes.items()):
        print(f"  {name:<12} {size / 2**20:6.1f} MiB")
    if loads:
        shown = ", ".join(f"{s:.2f}" for s in loads)
        median = sorted(loads)[len(loads) // 2]
        print(f"  report.html in Chromium: {median:.2f}s to load and draw ({shown})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
