"""The HTML report's failures: the first few open, the rest folded to one line each, a
filter over all of them, captured text in colour and capped per failure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

from netra_runner.reporting import ansi

BAD = ("failed", "error", "infrastructure")
OPEN = 5  # failures shown open; the rest are one line each until opened
LINES = 40  # lines kept of each text of a failure: the last ones, where the error is
REASON = 160  # characters of a folded failure's one-line reason


@dataclass(frozen=True)
class Failing:
    category: str
    test: Mapping[str, Any]


def failing(data: Mapping[str, Any]) -> list[Failing]:
    return [
        Failing(str(c["name"]), t)
        for c in data["categories"]
        for t in c["tests"]
        if t.get("outcome") in BAD
    ]


def section(failures: list[Failing]) -> str:
    if not failures:
        return "<h2>Failures</h2><p>None.</p>"
    return f"<h2>Failures ({len(failures)})</h2>{_filter(failures)}" + "".join(
        _failure(n, f) for n, f in enumerate(failures)
    )


def _filter(failures: list[Failing]) -> str:
    categories = sorted({f.category for f in failures})
    outcomes = sorted({str(f.test["outcome"]) for f in failures})
    return (
        "<div class=filter><input id=failure-text type=search "
        "placeholder='filter by text: id, message, traceback, output' "
        "aria-label='filter failures by text'>"
        f"{_select('failure-category', 'every category', categories)}"
        f"{_select('failure-outcome', 'every outcome', outcomes)}"
        "<button type=button data-fold=open>open all</button>"
        "<button type=button data-fold=close>fold all</button>"
        f"<span id=failure-count>{len(failures)} of {len(failures)} shown</span></div>"
    )


def _select(name: str, everything: str, values: list[str]) -> str:
    options = "".join(f"<option value='{escape(v)}'>{escape(v)}</option>" for v in values)
    first = f"<option value=''>{everything}</option>"
    return f"<select id={name} aria-label='{everything}'>{first}{options}</select>"


def _failure(number: int, failure: Failing) -> str:
    test = failure.test
    outcome = str(test["outcome"])
    opened = " open" if number < OPEN else ""
    where = f"{test['file']}:{test['line']}" if test.get("file") and test.get("line") else ""
    attempts = int(test.get("attempts") or 1)
    facts = [f for f in (where, f"attempt {attempts} of {attempts}" if attempts > 1 else "") if f]
    parts = [
        _part("message", test.get("message", "")),
        _part("traceback", test.get("details", "")),
        _part("captured output", test.get("output", "")),
    ]
    return (
        f"<details class=failure id=failure-{number} data-category='{escape(failure.category)}' "
        f"data-outcome='{escape(outcome)}'{opened}><summary>"
        f"<b class={css_class(outcome)}>{escape(outcome.upper())}</b> [{escape(failure.category)}] "
        f"{escape(str(test['id']))} <span class=reason>{escape(_reason(test))}</span></summary>"
        + (f"<div class=part>{escape(' · '.join(facts))}</div>" if facts else "")
        + "".join(parts)
        + "</details>"
    )


def _reason(test: Mapping[str, Any]) -> str:
    """One line: the message's first, else the traceback's last (the E line)."""
    message = ansi.plain(str(test.get("message") or "")).strip()
    lines = message.splitlines() or ansi.plain(str(test.get("details") or "")).strip().splitlines()
    if not lines:
        return ""
    line = (lines[0] if message else lines[-1]).strip()
    return "— " + (line if len(line) <= REASON else line[: REASON - 1] + "…")


def _part(title: str, text: object) -> str:
    if not text:
        return ""
    lines = str(text).rstrip("\n").split("\n")
    dropped = max(len(lines) - LINES, 0)
    note = f" (last {LINES} of {len(lines)} lines)" if dropped else ""
    cut = f"<span class=dropped>[... {dropped} earlier lines dropped]</span>\n" if dropped else ""
    body = ansi.to_html("\n".join(lines[dropped:]))
    return f"<div class=part>{title}{note}</div><pre>{cut}{body}</pre>"


def css_class(name: str) -> str:
    """A status or outcome as a class name, whatever a merged report held."""
    return "".join(ch for ch in name.replace(" ", "-") if ch.isalnum() or ch == "-") or "unknown"
