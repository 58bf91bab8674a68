"""GitHub Actions: `::error` annotations on the failing lines, and the job's step summary.

Workflow commands are documented at docs.github.com ("Workflow commands for GitHub
Actions"); GitHub shows at most 10 error annotations per step, so more is noise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from netra_runner.reporting import coverage_view
from netra_runner.reporting.console import closing_line
from netra_runner.results import Outcome, RunResult, TestResult

MAX_ANNOTATIONS = 10
# A frame of pytest's short traceback: `tests/test_a.py:12: in test_x`, `tests/test_a.py:12: E...`
_FRAME = re.compile(r"^(?P<path>[^\s:][^:\n]*\.py):(?P<line>\d+):", re.MULTILINE)
MAX_SUMMARY_FAILURES = 50


def active(env: Mapping[str, str]) -> bool:
    return env.get("GITHUB_ACTIONS") == "true"


def error_annotations(run: RunResult) -> list[str]:
    lines = [_annotation(test) for test in run.failures[:MAX_ANNOTATIONS]]
    hidden = len(run.failures) - MAX_ANNOTATIONS
    if hidden > 0:
        lines.append(f"::warning title=netra-run::{hidden} more failures; see the job summary")
    return lines


def _annotation(test: TestResult) -> str:
    where = [f"file={_property(test.file)}"] if test.file else []
    line = failing_line(test)
    if test.file and line:
        where.append(f"line={line}")
    title = _property(f"{test.outcome.value}: [{test.category}] {test.test_id}")
    message = "\n".join(part for part in (test.message, _tail(test.details, 20)) if part)
    return f"::error {','.join([*where, f'title={title}'])}::{_data(message or test.test_id)}"


def failing_line(test: TestResult) -> int | None:
    """Where in its own file the test failed: the deepest frame of its traceback in that
    file (the assertion, or the call into the helper that raised); its `def` line when
    the traceback has none there."""
    if not test.file:
        return test.line
    found = None
    for match in _FRAME.finditer(test.details):
        path = match["path"].strip()
        if path == test.file or test.file.endswith(f"/{path}") or path.endswith(f"/{test.file}"):
            found = int(match["line"])
    return found or test.line


def step_summary(run: RunResult) -> str:
    lines = ["## netra-run", "", f"`{closing_line(run)}`", ""]
    columns = run.columns()
    names = ["errors" if o is Outcome.ERROR else o.value for o in columns]
    lines += [
        f"| category | status | {' | '.join(names)} | time |",
        "| --- | --- | " + "---: | " * len(columns) + "---: |",
    ]
    for cat in run.categories:
        numbers = " | ".join(str(cat.count(o)) for o in columns)
        lines.append(f"| {cat.name} | {cat.status.value} | {numbers} | {cat.duration:.1f}s |")
    if run.failures:
        lines += ["", "### Failures", ""]
        for test in run.failures[:MAX_SUMMARY_FAILURES]:
            message = _cell(test.message.splitlines()[0] if test.message else "")
            lines.append(f"- **[{test.category}]** `{test.location}` {test.test_id}: {message}")
        if len(run.failures) > MAX_SUMMARY_FAILURES:
            lines.append(f"- ... and {len(run.failures) - MAX_SUMMARY_FAILURES} more")
    if run.flaky:
        lines += ["", "### Flaky", ""]
        lines += [f"- [{t.category}] `{t.location}` {t.test_id}" for t in run.flaky]
    text = "\n".join(lines) + "\n"
    return text + coverage_view.markdown(run.coverage) if run.coverage is not None else text


def append_summary(run: RunResult, env: Mapping[str, str]) -> None:
    target = env.get("GITHUB_STEP_SUMMARY")
    if target:
        with Path(target).open("a", encoding="utf-8") as summary:
            summary.write(step_summary(run))


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")[:200]


def _tail(text: str, count: int) -> str:
    return "\n".join(text.rstrip().splitlines()[-count:])
