"""reports/report.html: one self-contained page (no network), drawn from report.json's data
so the two always agree, and so `report merge` draws its merged data the same way.

The summary, the shard check of a merged report, the timeline (a canvas the page's own
script draws: docs/how-it-works.md), the failures (the first few open, a filter over all of
them) and the slowest tests.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

from netra_runner.cover.result import CoverageResult
from netra_runner.reporting import coverage_view, failures_html
from netra_runner.reporting.console import MEASURABLE, SLOWEST
from netra_runner.reporting.files import write_atomically
from netra_runner.reporting.timeline import KINDS, timeline

_USUAL = ("passed", "failed", "skipped", "error")
_RARE = ("xfailed", "xpassed", "not run", "infrastructure")


def render_html(data: Mapping[str, Any], closing: str) -> str:
    """The page for a run's (or a merge's) report.json data and its closing line."""
    failing = failures_html.failing(data)
    return "".join(
        [
            "<!doctype html><html lang=en><head><meta charset=utf-8>",
            "<meta name=viewport content='width=device-width'>",
            f"<title>netra-run report</title><style>{_asset('report.css')}</style></head><body>",
            f"<h1>netra-run</h1><p class=closing>{escape(closing)}</p>",
            _shards(data),
            _summary(data),
            _flaky(data),
            _services(data),
            _coverage(data),
            _timeline(data, failing),
            failures_html.section(failing),
            _slowest(data),
            f"<script>{_asset('report.js')}</script></body></html>\n",
        ]
    )


def write_html(data: Mapping[str, Any], closing: str, path: Path) -> None:
    write_atomically(path, render_html(data, closing))


@cache
def _asset(name: str) -> str:
    return (resources.files("netra_runner.reporting") / "assets" / name).read_text("utf-8")


def _summary(data: Mapping[str, Any]) -> str:
    totals = data.get("totals", {})
    columns = [*_USUAL, *(o for o in _RARE if totals.get(o))]
    names = ["errors" if o == "error" else o for o in columns]
    head = "".join(f"<th>{h}</th>" for h in ("category", "status", *names, "time", "why"))
    rows = []
    for cat in data["categories"]:
        counts = "".join(f"<td class=n>{int(cat['counts'].get(o, 0))}</td>" for o in columns)
        status = str(cat["status"])
        shown = f"<td class={failures_html.css_class(status)}>{escape(status)}</td>"
        # a category that did not pass says why (skipped: needs postgres; an error's cause)
        why = "" if status == "passed" else str(cat.get("reason") or "")
        rows.append(
            f"<tr><td>{escape(cat['name'])}</td>{shown}"
            f"{counts}<td class=n>{float(cat['duration']):.1f}s</td>"
            f"<td class=reason>{escape(why)}</td></tr>"
        )
    return f"<h2>Summary</h2><table id=summary><tr>{head}</tr>{''.join(rows)}</table>"


def _flaky(data: Mapping[str, Any]) -> str:
    """The tests that failed and then passed on a rerun, by name."""
    rows = [
        f"<tr><td>{escape(str(t['id']))}</td><td>{escape(str(cat['name']))}</td>"
        f"<td class=n>{int(t.get('attempts', 1))}</td></tr>"
        for cat in data["categories"]
        for t in cat.get("tests", [])
        if t.get("flaky")
    ]
    if not rows:
        return ""
    head = "<tr><th>test</th><th>category</th><th>attempts</th></tr>"
    return f"<h2>Flaky</h2><table id=flaky>{head}{''.join(rows)}</table>"


def _services(data: Mapping[str, Any]) -> str:
    """Each service: when it started, how long to healthy and to set up, and any outage."""
    services = data.get("services") or []
    if not services:
        return ""
    head = (
        "<tr><th>service</th><th>started</th><th>healthy in</th><th>set-up</th>"
        "<th>reused</th><th>outage</th></tr>"
    )
    rows = []
    for s in services:
        started = s.get("started")
        down = s.get("down")
        outage = f"down at {float(down):.1f}s: {s.get('down_reason') or ''}" if down else ""
        rows.append(
            f"<tr><td>{escape(str(s['name']))}</td>"
            f"<td class=n>{'' if started is None else f'{float(started):.1f}s'}</td>"
            f"<td class=n>{float(s.get('seconds_to_healthy') or 0):.1f}s</td>"
            f"<td class=n>{float(s.get('setup_seconds') or 0):.1f}s</td>"
            f"<td>{'yes' if s.get('reused') else 'no'}</td><td>{escape(outage)}</td></tr>"
        )
    return f"<h2>Services</h2><table id=services>{head}{''.join(rows)}</table>"


def _coverage(data: Mapping[str, Any]) -> str:
    found = data.get("coverage")
    return coverage_view.html(CoverageResult.from_data(found)) if found else ""


def _shards(data: Mapping[str, Any]) -> str:
    """A merged report's sources first: which shard ran what, and whether they add up."""
    sources = data.get("sources")
    if not sources:
        return ""
    problems = data.get("shard_problems") or []
    shards = [s["shard"] for s in sources if s.get("shard")]
    if problems:
        verdict = "<ul class=problems>" + "".join(f"<li>{escape(p)}</li>" for p in problems)
        verdict += "</ul>"
    elif shards:
        selected = max(int(s["selection"]) for s in shards)
        verdict = (
            f"<p class=passed>All {len(shards)} shards of {int(shards[0]['count'])} are here, "
            f"cut from one partition: each of the {selected} selected tests ran in exactly "
            "one shard.</p>"
        )
    else:
        verdict = "<p>Not shards (no manifests to check): reports merged as given.</p>"
    head = "<tr><th>shard</th><th>report</th><th>given</th><th>reported</th><th>exit</th>"
    rows = "".join(_source_row(s) for s in sources)
    return f"<h2>Shards</h2>{verdict}<table id=shards>{head}<th>time</th></tr>{rows}</table>"


def _source_row(source: Mapping[str, Any]) -> str:
    shard = source.get("shard")
    name = f"{shard['index']}/{shard['count']}" if shard else "-"
    given = str(shard["given"]) if shard else "-"
    return (
        f"<tr><td>{escape(name)}</td><td>{escape(str(source.get('path', '')))}</td>"
        f"<td class=n>{given}</td><td class=n>{int(source.get('tests', 0))}</td>"
        f"<td class=n>{int(source.get('exit_code', 0))}</td>"
        f"<td class=n>{float(source.get('duration') or 0):.1f}s</td></tr>"
    )


def _timeline(data: Mapping[str, Any], failing: list[failures_html.Failing]) -> str:
    index = {(f.category, f.test["id"]): n for n, f in enumerate(failing)}
    drawn = timeline(data, index).as_data()
    # Inside a <script>, "</" would end it: JSON may say "<" as \u003c instead.
    embedded = json.dumps(drawn, separators=(",", ":"), ensure_ascii=False).replace("<", "\\u003c")
    legend = "".join(
        f"<span style='background:{colour}'></span>{escape(label)}" for _, colour, label in KINDS
    )
    tools = (
        "<div class=tl-tools><button type=button data-zoom=in title='zoom in (+)'>+</button>"
        "<button type=button data-zoom=out title='zoom out (-)'>&minus;</button>"
        "<button type=button data-zoom=reset title='the whole run (0)'>whole run</button>"
        "<span id=tl-range></span><span class=hint>ctrl+wheel or +/&minus; to zoom, drag or "
        "shift+wheel to pan, double-click for the whole run; hover a bar for its test, "
        "click a failed one for its failure</span></div>"
    )
    return (
        f"<h2>Timeline</h2>{tools}<div class=legend>{legend}</div>"
        "<div id=timeline><canvas id=tl-canvas tabindex=0 aria-label='timeline of the run'>"
        "</canvas><div id=tl-tip hidden></div></div>"
        "<noscript>The timeline is drawn by the page's script.</noscript>"
        f"<script type=application/json id=tl-data>{embedded}</script>"
    )


def _slowest(data: Mapping[str, Any]) -> str:
    """As the console lists them: only tests that took measurable time."""
    timed = [
        (float(t.get("duration") or 0.0), c["name"], t["id"])
        for c in data["categories"]
        for t in c["tests"]
        if t.get("started") is not None and float(t.get("duration") or 0.0) >= MEASURABLE
    ]
    timed.sort(key=lambda entry: entry[0], reverse=True)
    rows = "".join(
        f"<tr><td class=n>{seconds:.2f}s</td><td>{escape(category)}</td>"
        f"<td>{escape(test)}</td></tr>"
        for seconds, category, test in timed[:SLOWEST]
    )
    return f"<h2>Slowest tests</h2><table id=slowest>{rows}</table>"
