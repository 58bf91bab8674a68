"""reports/report.html: one self-contained page (no network): summary, timeline, failures."""

from __future__ import annotations

from html import escape
from pathlib import Path

from netra_runner.reporting.console import closing_line, slowest
from netra_runner.reporting.files import write_atomically
from netra_runner.reporting.json_report import cap
from netra_runner.reporting.timeline import Lane, lanes, span
from netra_runner.results import Outcome, RunResult, TestResult

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1f2328;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.closing{font-family:ui-monospace,monospace;font-weight:600}
table{border-collapse:collapse}td,th{padding:3px 12px 3px 0;text-align:left}
td.n{text-align:right}.passed{color:#1a7f37}.failed,.error,.interrupted{color:#cf222e}
.skipped,.stopped,.no-tests{color:#9a6700}
.lanes{border-left:1px solid #d0d7de;position:relative}
.row{display:flex;align-items:center;height:20px}
.label{width:220px;flex:none;font:12px ui-monospace,monospace;overflow:hidden;
text-overflow:ellipsis;white-space:nowrap;padding-right:8px}
.lane{position:relative;flex:1;height:16px;background:#f6f8fa}
.bar{position:absolute;top:1px;height:14px;min-width:1px;box-sizing:border-box;
border-right:1px solid #fff}
.bar:hover{outline:2px solid #1f2328;z-index:1}
.k-passed{background:#2da44e}.k-failed,.k-error{background:#cf222e}.k-skipped{background:#bf8700}
.k-flaky{background:#fb8500}.k-not-run{background:#8c959f}
.k-xfailed{background:#9a6700}.k-xpassed{background:#4ac26b}.k-infrastructure{background:#8250df}.k-down{background:#a40e26}
.k-starting{background:#8250df}.k-healthy{background:#d8c6f5}.k-setup{background:#0969da}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}
.axis{display:flex;justify-content:space-between;margin-left:220px;font-size:11px;color:#57606a}
details{margin:6px 0;border:1px solid #d0d7de;border-radius:6px;padding:6px 10px}
summary{cursor:pointer;font-family:ui-monospace,monospace}
pre{white-space:pre-wrap;font-size:12px;background:#f6f8fa;padding:8px;overflow:auto}
"""
LEGEND = (
    "passed",
    "failed",
    "skipped",
    "flaky",
    "infrastructure",
    "starting",
    "setup",
    "healthy",
    "down",
)


def render_html(run: RunResult) -> str:
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        "<meta name=viewport content='width=device-width'>",
        f"<title>netra-run report</title><style>{STYLE}</style></head><body>",
        f"<h1>netra-run</h1><p class=closing>{escape(closing_line(run))}</p>",
        _summary(run),
        _timeline(run),
        _failures(run),
        _slowest(run),
        "</body></html>\n",
    ]
    return "".join(parts)


def write_html(run: RunResult, path: Path) -> None:
    write_atomically(path, render_html(run))


def _summary(run: RunResult) -> str:
    columns = run.columns()
    names = ["errors" if o is Outcome.ERROR else o.value for o in columns]
    head = "".join(f"<th>{h}</th>" for h in ("category", "status", *names, "time"))
    rows = []
    for cat in run.categories:
        counts = "".join(f"<td class=n>{cat.count(o)}</td>" for o in columns)
        status = cat.status.value
        rows.append(
            f"<tr><td>{escape(cat.name)}</td><td class={status.replace(' ', '-')}>{status}</td>"
            f"{counts}<td class=n>{cat.duration:.1f}s</td></tr>"
        )
    return f"<h2>Summary</h2><table id=summary><tr>{head}</tr>{''.join(rows)}</table>"


def _timeline(run: RunResult) -> str:
    drawn = lanes(run)
    total = span(run, drawn)
    legend = "".join(f"<span class=k-{k}></span>{k}" for k in LEGEND)
    ticks = "".join(f"<span>{total * i / 4:.1f}s</span>" for i in range(5))
    rows = "".join(_lane(lane, total) for lane in drawn)
    return (
        f"<h2>Timeline</h2><div class=legend>{legend}</div>"
        f"<div class=axis>{ticks}</div><div id=timeline class=lanes>{rows}</div>"
    )


def _lane(lane: Lane, total: float) -> str:
    bars = "".join(
        f"<i class='bar k-{bar.kind}' style='left:{100 * bar.start / total:.3f}%;"
        f"width:{100 * bar.length / total:.3f}%' title='{escape(bar.label)}'></i>"
        for bar in lane.bars
    )
    return (
        f"<div class=row><div class=label title='{escape(lane.name)}'>{escape(lane.name)}</div>"
        f"<div class=lane>{bars}</div></div>"
    )


def _failures(run: RunResult) -> str:
    if not run.failures:
        return "<h2>Failures</h2><p>None.</p>"
    return "<h2>Failures</h2>" + "".join(_failure(test) for test in run.failures)


def _failure(test: TestResult) -> str:
    body = "\n\n".join(cap(part) for part in (test.message, test.details, test.output) if part)
    return (
        f"<details open class=failure><summary>{test.outcome.value.upper()} "
        f"[{escape(test.category)}] {escape(test.location)} {escape(test.test_id)}</summary>"
        f"<pre>{escape(body)}</pre></details>"
    )


def _slowest(run: RunResult) -> str:
    rows = "".join(
        f"<tr><td class=n>{t.duration:.2f}s</td><td>{escape(t.category)}</td>"
        f"<td>{escape(t.test_id)}</td></tr>"
        for t in slowest(run)
    )
    return f"<h2>Slowest tests</h2><table id=slowest>{rows}</table>"
