"""The combined coverage as the console, the GitHub step summary and the HTML page show
it: the total, the least-covered files with the categories that ran them, the categories
not measured, and the gate."""

from __future__ import annotations

from html import escape

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from netra_runner.cover.result import LEAST_COVERED, CoverageResult, FileCoverage
from netra_runner.cover.settings import CoverageSettings


def console(result: CoverageResult) -> RenderableType:
    parts: list[RenderableType] = []
    files = result.files[:LEAST_COVERED]
    if files:
        table = Table(
            box=box.SIMPLE,
            title=f"coverage {result.shown}: the {len(files)} least covered of "
            f"{len(result.files)} files",
            title_justify="left",
        )
        for column in ("file", "statements", "missing", "cover", "categories"):
            table.add_column(
                column, justify="left" if column in ("file", "categories") else "right"
            )
        for f in files:
            table.add_row(
                f.path, str(f.statements), str(f.missing), _percent(f, result), _touched(f)
            )
        parts.append(table)
    for line in notes(result):
        parts.append(Text(line, style="red" if line.startswith("coverage") else "yellow"))
    return Group(*parts)


def plan_line(settings: CoverageSettings) -> str:
    """What --plan says --cov will do."""
    if settings.source:
        shown = ", ".join(_relative(s, settings) for s in settings.source)
    else:
        shown = f"the source {settings.config.name if settings.config else ''} names"
    gate = (
        f"; gate {settings.fail_under:g}% ({settings.fail_under_from})"
        if settings.fail_under is not None
        else "; no gate"
    )
    return f"coverage: every pytest suite measures {shown}{gate}"


def _relative(source: str, settings: CoverageSettings) -> str:
    if source == str(settings.root):
        return "the project root"
    prefix = f"{settings.root}/"
    return source.removeprefix(prefix) if source.startswith(prefix) else source


def notes(result: CoverageResult) -> list[str]:
    lines = [f"not measured: {category}: {why}" for category, why in result.not_measured]
    if result.total is None:
        lines.append(f"coverage: no total: {result.error}")
    elif result.error:
        lines.append(f"coverage: {result.shown} is not the whole run's: {result.error}")
    if result.failed:
        lines.append(f"{result.verdict()}: the run fails (exit 1)")
    return lines


def markdown(result: CoverageResult) -> str:
    """For the GitHub step summary."""
    head = f"**Coverage {result.shown}**"
    if result.fail_under is not None:
        head += f" (gate {result.fail_under:g}%: {'failed' if result.failed else 'passed'})"
    rows = ["", head, ""]
    if result.files:
        rows += ["| file | statements | missing | cover | categories |", "|---|---:|---:|---:|---|"]
        for f in result.files[:LEAST_COVERED]:
            path, touched = (text.replace("|", "\\|") for text in (f.path, _touched(f)))
            rows.append(
                f"| {path} | {f.statements} | {f.missing} | {_percent(f, result)} | {touched} |"
            )
    rows += [f"- {line}" for line in notes(result)]
    return "\n".join(rows) + "\n"


def html(result: CoverageResult) -> str:
    """For the HTML page: the total, the gate, the least-covered files and who ran them."""
    state = "failed" if result.failed else "passed"
    gate = f", gate {result.fail_under:g}%" if result.fail_under is not None else ""
    rows = "".join(
        f"<tr><td>{escape(f.path)}</td><td>{f.statements}</td><td>{f.missing}</td>"
        f"<td>{_percent(f, result)}</td><td>{escape(_touched(f))}</td></tr>"
        for f in result.files[:LEAST_COVERED]
    )
    table = (
        "<table><thead><tr><th>file</th><th>statements</th><th>missing</th><th>cover</th>"
        f"<th>categories</th></tr></thead><tbody>{rows}</tbody></table>"
        if rows
        else ""
    )
    said = "".join(f"<li>{escape(line)}</li>" for line in notes(result))
    return (
        f"<section id=coverage><h2>Coverage <span class={state}>{escape(result.shown)}</span>"
        f"{escape(gate)}</h2>{table}<ul>{said}</ul></section>"
    )


def _percent(f: FileCoverage, result: CoverageResult) -> str:
    return f"{f.percent:.{result.precision}f}%"


def _touched(f: FileCoverage) -> str:
    return ", ".join(f.categories) or "none"
