"""The end of a run: report files, CI annotations, the console summary, the closing line."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from rich.console import Console

from netra_runner.errors import ExitCode
from netra_runner.options import ReportPaths
from netra_runner.reporting import console as render
from netra_runner.reporting import coverage_view, github
from netra_runner.reporting.html_report import write_html
from netra_runner.reporting.json_report import report_data, write_json
from netra_runner.reporting.junit import write_junit
from netra_runner.results import RunResult


def write_reports(run: RunResult, paths: ReportPaths) -> list[str]:
    """Write every report it can; what could not be written, said after the summary."""
    failed = []
    data = report_data(run)  # the JSON report's, and the HTML page's
    writers: tuple[tuple[str, Callable[[Path], None], Path], ...] = (
        ("JUnit", lambda path: write_junit(run, path), paths.junit),
        ("JSON", lambda path: write_json(data, path), paths.json),
        ("HTML", lambda path: write_html(data, render.closing_line(run), path), paths.html),
    )
    for kind, write, path in writers:
        try:
            write(path)
        except OSError as exc:
            failed.append(f"the {kind} report {path} could not be written: {exc.strerror or exc}")
    return failed


def print_summary(
    run: RunResult,
    out: Console,
    quiet: bool = False,
    env: Mapping[str, str] = os.environ,
    slowest: int = render.SLOWEST,
) -> None:
    """`slowest`: how many of the slowest tests to list (0: all)."""
    if github.active(env):
        for line in github.error_annotations(run):
            out.print(line, markup=False, emoji=False, highlight=False, soft_wrap=True)
        github.append_summary(run, env)
    out.print()
    out.print(render.summary_table(run))
    for note in render.notes(run):
        out.print(note)
    for slow in [] if quiet else render.slowest_lines(run, slowest):
        out.print(slow, soft_wrap=True)
    for test in run.flaky:
        out.print(render.flaky_line(test), soft_wrap=True)
    for test in (t for c in run.categories for t in c.tests if t.after_restart):
        out.print(render.after_restart_line(test), soft_wrap=True)
    for part in render.failures_by_category(run):
        out.print(part, soft_wrap=True)
    if run.coverage is not None:
        out.print(coverage_view.console(run.coverage), soft_wrap=True)
    if run.service_error:
        out.print(run.service_error, style="red", markup=False, emoji=False, soft_wrap=True)
    if run.exit_code() is ExitCode.NOTHING_RAN:
        out.print(render.nothing_ran(run), markup=False, emoji=False, soft_wrap=True)
    # Never wrapped: CI systems read this line alone on its line.
    out.print(render.closing_line(run), markup=False, emoji=False, style="bold", soft_wrap=True)
