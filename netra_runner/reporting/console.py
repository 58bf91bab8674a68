"""Console renderers: pure functions from results to rich renderables and strings."""

from __future__ import annotations

from collections.abc import Mapping

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from netra_runner.reporting.text import shown
from netra_runner.results import CategoryResult, Outcome, RunResult, Status, TestResult

TRACEBACK_LINES = 15
OUTPUT_LINES = 10
SLOWEST = 10
MEASURABLE = 0.005  # seconds: what rounds to 0.00 s is no slow test
_OUTCOME_STYLE = {
    "passed": "green",
    "skipped": "yellow",
    "rerun": "yellow",
    "xfailed": "yellow",
    "xpassed": "yellow",
    "infrastructure": "magenta",
}
_STYLE = {
    Status.PASSED: "green",
    Status.FAILED: "red",
    Status.ERROR: "red",
    Status.SKIPPED: "yellow",
    Status.NO_TESTS: "yellow",
    Status.INTERRUPTED: "red",
    Status.STOPPED: "yellow",
}


def counts(category: CategoryResult) -> str:
    parts = [f"{category.count(o)} {o.value}" for o in Outcome if category.count(o)]
    return ", ".join(parts) or "no tests"


def finished_line(category: CategoryResult) -> Text:
    """One line per finished category, for the progress log."""
    line = Text(
        f"{category.status.value.upper():<11} {category.name}", style=_STYLE[category.status]
    )
    detail = category.reason if category.status is Status.SKIPPED else counts(category)
    line.append(f"  {detail}", style="default")
    if category.status is not Status.SKIPPED:
        line.append(f" in {category.duration:.1f}s", style="dim")
    return line


def summary_table(run: RunResult) -> Table:
    table = Table(box=box.SIMPLE, title="netra-run summary", title_justify="left")
    table.add_column("category")
    table.add_column("status")
    shown = run.columns()
    for outcome in shown:
        table.add_column("errors" if outcome is Outcome.ERROR else outcome.value, justify="right")
    table.add_column("time", justify="right")
    for cat in run.categories:
        status = Text(cat.status.value, style=_STYLE[cat.status])
        numbers = [str(cat.count(o)) for o in shown]
        table.add_row(cat.name, status, *numbers, f"{cat.duration:.1f}s")
    return table


def notes(run: RunResult) -> list[Text]:
    """Service timings, then why categories were skipped or broke, said once under the table."""
    lines = []
    if run.services:
        timings = [
            f"{s.name} {s.seconds_to_healthy:.1f}s"
            + (" (reused)" if s.reused else "")
            + (f", set up in {s.setup_seconds:.1f}s" if s.setup_seconds else "")
            for s in run.services
        ]
        lines.append(Text(f"services healthy: {', '.join(timings)}", style="dim"))
    for cat in run.categories:
        if cat.reason and cat.status is not Status.PASSED:
            lines.append(shown(f"{cat.name}: {cat.reason}", style=_STYLE[cat.status]))
    lines += [shown(f"note: {note}", style="yellow") for note in run.notes]
    lines += [shown(all_skipped(cat), style="yellow") for cat in run.categories if cat.all_skipped]
    return lines


def all_skipped(category: CategoryResult) -> str:
    count = len(category.tests)
    every = "its only test was" if count == 1 else f"all {count} of its tests were"
    reason = category.skip_reason()
    most = f"; most often: {reason}" if reason else ""
    return f"{category.name}: {every} skipped{most}"


def nothing_ran(run: RunResult) -> str:
    """Why exit 5: no test ran, or every one that did was skipped."""
    if not run.totals()[Outcome.SKIPPED]:
        return "nothing ran: no selected category ran a test (see the reasons above)"
    return (
        "nothing ran: every selected test was skipped (see the reasons above); "
        "--allow-empty accepts that"
    )


def flaky_line(test: TestResult) -> Text:
    line = Text("FLAKY ", style="bold yellow")
    line.append(f"[{test.category}] {test.location} {test.test_id}", style="bold")
    line.append(
        f"  passed on attempt {len(test.reruns) + 1}; first failure: {test.reruns[0].message}"
    )
    return line


def after_restart_line(test: TestResult) -> Text:
    line = Text("AFTER RESTART ", style="bold magenta")
    line.append(f"[{test.category}] {test.location} {test.test_id}", style="bold")
    line.append("  passed when run again, once the service that went down was back")
    return line


def slowest(run: RunResult, count: int = SLOWEST) -> list[TestResult]:
    """The slowest tests that took measurable time (0: all of them), as pytest's
    --durations lists them."""
    tests = [
        t
        for cat in run.categories
        for t in cat.tests
        if t.started is not None and t.duration >= MEASURABLE
    ]
    ranked = sorted(tests, key=lambda t: t.duration, reverse=True)
    return ranked if count == 0 else ranked[:count]


def slowest_lines(run: RunResult, count: int = SLOWEST) -> list[Text]:
    """Lines, not a table: a test id is worth more whole than wrapped into a column."""
    tests = slowest(run, count)
    if not tests:
        return []
    width = max(len(t.category) for t in tests)
    lines = [Text(f"{len(tests)} slowest tests", style="bold")]
    for test in tests:
        line = Text(f"  {test.duration:7.2f}s  {test.category:<{width}}  ", style="dim")
        line.append(test.test_id)
        lines.append(line)
    return lines


def failures_by_category(run: RunResult) -> list[RenderableType]:
    shown: list[RenderableType] = []
    for category in run.categories:
        failed = [t for t in category.tests if t.outcome.is_bad]
        if failed:
            bad = [
                f"{category.count(o)} {o.value}" for o in Outcome if o.is_bad and category.count(o)
            ]
            header = f"── {category.name}: {', '.join(bad)} "
            shown.append(Text(header.ljust(60, "─"), style="bold red"))
            shown += [failure_report(test) for test in failed]
    return shown


def test_line(event: dict[str, object]) -> Text:
    """-v: one line per finished test."""
    outcome = str(event.get("outcome", "?"))
    style = "red" if outcome in ("failed", "error", "crashed") else _OUTCOME_STYLE.get(outcome, "")
    line = Text(f"{outcome.upper():<11} ", style=style)
    line.append(f"[{event.get('category')}] {event.get('nodeid')}")
    line.append(f" {float(event.get('duration') or 0):.2f}s", style="dim")  # type: ignore[arg-type]
    return line


def failure_report(test: TestResult) -> RenderableType:
    kind = {Outcome.ERROR: "ERROR", Outcome.INFRA: "INFRA"}.get(test.outcome, "FAILED")
    head = Text(f"{kind} ", style="bold red")
    head.append(f"[{test.category}] {test.location} {test.test_id}", style="bold")
    parts: list[RenderableType] = [head]
    if test.message:
        parts.append(shown(f"  {test.message}"))
    if test.details:
        parts.append(shown(_last_lines(test.details, TRACEBACK_LINES), style="dim"))
    if test.output:
        parts.append(Text("  captured output (last lines):", style="dim"))
        parts.append(shown(_last_lines(test.output, OUTPUT_LINES)))
    return Group(*parts)


def closing_line(run: RunResult) -> str:
    """The line CI systems read: 'netra-run: N passed, N failed, N skipped in Xs'."""
    counts = {o.value: n for o, n in run.totals().items()} | {
        "flaky": len(run.flaky),
        "passed after a restart": sum(t.after_restart for c in run.categories for t in c.tests),
        "subtests passed": run.subtests_passed(),
        "warnings": sum(c.warnings for c in run.categories),
    }
    skipped = sum(1 for cat in run.categories if cat.status is Status.SKIPPED)
    text = closing_text(counts, run.duration, skipped)
    return f"{text}; {run.coverage.verdict()}" if run.coverage is not None else text


def closing_text(counts: Mapping[str, int], duration: float, categories_not_run: int = 0) -> str:
    """The closing line from counts by outcome (`passed`, `failed`, ..., and `flaky`)."""
    text = (
        f"netra-run: {counts.get('passed', 0)} passed, {counts.get('failed', 0)} failed, "
        f"{counts.get('skipped', 0)} skipped"
    )
    for key in ("xfailed", "xpassed", "subtests passed"):
        if counts.get(key):
            text += f", {counts[key]} {key}"
    errors = counts.get("error", 0)
    if errors:
        text += f", {errors} {'error' if errors == 1 else 'errors'}"
    infra = counts.get("infrastructure", 0)
    if infra:  # failed because a service was down: apart from the tests' own failures
        text += f", {infra} infrastructure {'failure' if infra == 1 else 'failures'}"
    for key in ("not run", "flaky", "passed after a restart"):
        if counts.get(key):
            text += f", {counts[key]} {key}"
    if categories_not_run:
        plural = "category" if categories_not_run == 1 else "categories"
        text += f", {categories_not_run} {plural} not run"
    warnings = counts.get("warnings", 0)
    if warnings:  # last, as pytest puts it
        text += f", {warnings} {'warning' if warnings == 1 else 'warnings'}"
    return f"{text} in {duration:.1f}s"


def _last_lines(text: str, count: int) -> str:
    lines = text.rstrip().splitlines()
    shown = lines[-count:]
    prefix = ["    [...]"] if len(lines) > count else []
    return "\n".join(prefix + ["    " + line for line in shown])
