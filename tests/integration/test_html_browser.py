# mypy: disallow-untyped-calls=False
"""The HTML report of real runs, in a real headless Chromium (Playwright driving the
system's chromium): every test drawn, zoom, hover, the failure filter, merged shards."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import netra

CHROMIUM = (
    shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
)
if os.environ.get("NETRA_REQUIRE_BROWSER") == "1":
    assert CHROMIUM is not None, "NETRA_REQUIRE_BROWSER=1 but chromium is not installed"
elif CHROMIUM is None:
    pytest.skip("no chromium here (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402

FRAME = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"

# Run in the page: for every test attempt in view, the pixel at the middle of its lane, in
# the first column its start time falls in. It must hold a test's colour (or one of them
# darkened where a wide test begins): never the lane's background, never a gap's colour.
UNPAINTED = """() => {
  const api = window.netraTimeline;
  const data = JSON.parse(document.getElementById("tl-data").textContent);
  const canvas = document.getElementById("tl-canvas");
  const ratio = canvas.width / canvas.getBoundingClientRect().width;
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  const layout = api.layout(), [t0, t1] = api.view(), k = layout.width / (t1 - t0);
  const hex = (c) => [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));
  const first = data.kinds.findIndex((kind) => kind[0] === "passed");
  const tests = data.kinds.slice(first).map((kind) => hex(kind[1]));
  const shades = [...tests, ...tests.map((c) => c.map((v, i) => v * 0.65 + [31, 35, 40][i] * 0.35))];
  const near = (a, b) => a.every((v, i) => Math.abs(v - b[i]) <= 3);
  const lanes = data.groups.flatMap((group) => group.lanes);
  const missing = [];
  let checked = 0;
  lanes.forEach((lane, n) => {
    const y = Math.floor((layout.lanes[n] + layout.barTop + layout.barHeight / 2) * ratio);
    for (const bar of lane.bars) {
      if (bar[3] < 0 || bar[0] + bar[1] < t0 || bar[0] > t1) continue;
      const column = Math.min(layout.width - 1, Math.max(0, Math.floor((bar[0] - t0) * k)));
      const x = Math.floor((layout.left + column + 0.5) * ratio);
      const at = (y * canvas.width + x) * 4;
      const rgb = [pixels[at], pixels[at + 1], pixels[at + 2]];
      checked++;
      if (!shades.some((shade) => near(rgb, shade))) missing.push([data.tests[bar[3]][0], rgb]);
    }
  });
  return { checked, missing: missing.length, examples: missing.slice(0, 5) };
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[[Path], tuple[Page, float]]]:
    """Opens a report; the seconds until its first frame after load; no script error."""
    pages: list[Page] = []
    errors: list[str] = []

    def opened(path: Path) -> tuple[Page, float]:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("pageerror", lambda error: errors.append(str(error)))
        pages.append(page)
        began = time.perf_counter()
        page.goto(path.as_uri(), wait_until="load")
        page.evaluate(FRAME)
        return page, time.perf_counter() - began

    yield opened
    for page in pages:
        page.close()
    assert errors == []


MANY = """\
import os
import pytest


@pytest.mark.parametrize("n", range({count}))
def test_case(n):
    if n % 45 == 7:
        print("\\x1b[31mred\\x1b[0m captured before failing", n)
        assert n == -1
    if n % 300 == 1:
        import time
        time.sleep(0.2)


def test_flaky(tmp_path_factory):
    marker = os.path.join(os.environ["FLAKE_DIR"], "{name}")
    if not os.path.exists(marker):
        open(marker, "w").close()
        assert False, "first attempt fails"
"""


def many_tests(root: Path, per_category: int) -> Path:
    """Two categories of tiny tests (narrower than a pixel at the whole run's scale), a
    failure every 45th spread through them, a few slower ones, a flaky one in each."""
    categories = []
    for name in ("alpha", "beta"):
        (root / "tests" / name).mkdir(parents=True)
        test = MANY.replace("{count}", str(per_category)).replace("{name}", name)
        (root / "tests" / name / "test_many.py").write_text(test)
        categories.append(f"  {name}:\n    paths: [tests/{name}]\n")
    (root / "flakes").mkdir()
    (root / "categories.yaml").write_text("version: 1\ncategories:\n" + "".join(categories))
    return root


def drawn(page: Page) -> dict[str, Any]:
    data: dict[str, Any] = page.evaluate(
        "() => JSON.parse(document.getElementById('tl-data').textContent)"
    )
    return data


def test_a_2000_test_report_draws_every_test_zooms_and_filters(
    tmp_path: Path, open_page: Callable[[Path], tuple[Page, float]], record_property: Any
) -> None:
    project = many_tests(tmp_path, per_category=1000)
    env = {"FLAKE_DIR": str(project / "flakes")}
    ran = netra(project, "--all", "-n", "2", "--retries", "1", env=env, timeout=300)
    assert ran.code == 1, ran.out + ran.err
    report = json.loads((project / "reports" / "report.json").read_text())
    assert report["totals"]["passed"] + report["totals"]["failed"] == 2002
    assert report["totals"]["flaky"] == 2
    page, seconds = open_page(project / "reports" / "report.html")
    size = (project / "reports" / "report.html").stat().st_size
    record_property("html_bytes", size)
    record_property("html_load_seconds", round(seconds, 3))
    print(f"report.html of 2,002 tests: {size / 2**20:.2f} MiB, loaded and drawn in {seconds:.2f}s")

    data = drawn(page)
    attempts = sum(t["attempts"] for c in report["categories"] for t in c["tests"])
    test_bars = [b for g in data["groups"] for lane in g["lanes"] for b in lane["bars"]]
    assert sum(1 for b in test_bars if b[3] >= 0) == attempts  # each attempt its own bar
    whole = page.evaluate(UNPAINTED)
    assert whole["checked"] == attempts and whole["missing"] == 0, whole

    # Zoom in on the first failure: fewer tests in view, each still painted.
    failure = next(t for c in report["categories"] for t in c["tests"] if t["outcome"] == "failed")
    page.evaluate(
        f"() => window.netraTimeline.setView({failure['started']} - 0.05, {failure['started']} + 0.05)"
    )
    zoomed = page.evaluate(UNPAINTED)
    assert 0 < zoomed["checked"] < attempts and zoomed["missing"] == 0, zoomed
    assert not str(page.text_content("#tl-range")).startswith("0.000")
    page.click("button[data-zoom=reset]")
    assert page.evaluate("window.netraTimeline.view()")[0] == 0
    page.click("button[data-zoom=in]")
    view = page.evaluate("window.netraTimeline.view()")
    assert view[1] - view[0] == pytest.approx(page.evaluate("window.netraTimeline.span") / 2)

    # Hovering a failed test's pixel names it.
    page.evaluate(
        f"() => window.netraTimeline.setView({failure['started']} - 0.01, {failure['started']} + 0.01)"
    )
    lane = next(
        n
        for n, drawn_lane in enumerate(ln for g in data["groups"] for ln in g["lanes"])
        if any(b[3] >= 0 and data["tests"][b[3]][0] == failure["id"] for b in drawn_lane["bars"])
    )
    layout = page.evaluate("window.netraTimeline.layout()")
    view = page.evaluate("window.netraTimeline.view()")
    x = layout["left"] + (failure["started"] - view[0]) * layout["width"] / (view[1] - view[0]) + 1
    y = layout["lanes"][lane] + layout["barTop"] + 4
    told = page.evaluate(f"window.netraTimeline.describe({x}, {y})")
    assert told[0] == failure["id"]  # its first attempt, which --retries 1 ran again
    assert told[1].startswith("failed, rerun · ") and told[1].endswith("attempt 1 of 2")

    # The failures: the first few open, the rest folded; the filter narrows them.
    failing = [t for c in report["categories"] for t in c["tests"] if t["outcome"] == "failed"]
    shown = "details.failure:not([hidden])"
    assert page.locator(shown).count() == len(failing) == 46
    assert page.locator("details.failure[open]").count() == 5
    assert "\x1b" not in page.content() and page.locator("pre span[style*=color]").count() > 0
    page.fill("#failure-text", failure["id"].upper())  # any case, anywhere in the entry
    assert page.locator(shown).count() == 1
    page.fill("#failure-text", "")
    page.select_option("#failure-category", "beta")
    assert page.locator(shown).count() == sum(1 for t in failing if "/beta/" in t["id"])
    assert page.text_content("#failure-count") == f"23 of {len(failing)} shown"


def test_the_merged_report_of_three_real_shards_draws_each_test_once(
    tmp_path: Path, open_page: Callable[[Path], tuple[Page, float]]
) -> None:
    project = many_tests(tmp_path, per_category=60)
    env = {"FLAKE_DIR": str(project / "flakes")}
    assert netra(project, "--all", env=env).code == 1  # a history to cut shards by
    for k in (1, 2, 3):
        shard = netra(project, "--all", "--shard", f"{k}/3", "--reports-dir", f"shard-{k}", env=env)
        assert shard.code in (0, 1), shard.out + shard.err
    merged = netra(project, "report", "merge", "shard-1", "shard-2", "shard-3", "-o", "merged")
    assert merged.code == 1, merged.out + merged.err
    page, _ = open_page(project / "merged" / "report.html")
    data = drawn(page)
    assert [g["name"].split(" · ")[0] for g in data["groups"]] == [
        "shard 1/3",
        "shard 2/3",
        "shard 3/3",
    ]
    ids = [t[0] for t in data["tests"]]
    assert len(ids) == len(set(ids)) == 122
    painted = page.evaluate(UNPAINTED)
    assert painted["checked"] == 122 and painted["missing"] == 0, painted
    assert page.locator("#shards tr").count() == 4  # a header and a row per shard
    assert "All 3 shards of 3 are here" in str(page.text_content("body"))


def test_a_real_run_of_every_outcome_draws_its_gaps_and_no_script_error(
    mixed: Path, open_page: Callable[[Path], tuple[Page, float]]
) -> None:
    netra(mixed, "-c", "failing", "-c", "passing", "-c", "erroring")
    page, _ = open_page(mixed / "reports" / "report.html")
    data = drawn(page)
    notes = " ".join(data["notes"])
    assert "pytest start-up and collection" in notes and "wrap-up" in notes
    painted = page.evaluate(UNPAINTED)
    assert painted["checked"] == 7 and painted["missing"] == 0, painted
    shot = page.locator("#timeline").screenshot()
    assert len(shot) > 1000


def test_a_run_that_ran_nothing_still_gets_a_page_that_loads(
    mixed: Path, open_page: Callable[[Path], tuple[Page, float]]
) -> None:
    ran = netra(mixed, "-c", "needs_redis")  # skipped: its service needs --real-services
    assert ran.code == 5, ran.out + ran.err
    page, _ = open_page(mixed / "reports" / "report.html")
    assert drawn(page)["tests"] == [] and page.evaluate(UNPAINTED)["checked"] == 0
    assert "Failures" in str(page.text_content("body"))
