"""Read the JUnit file a suite wrote into TestResults (junitparser does the XML)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from junitparser import Error, Failure, JUnitXml, JUnitXmlError, Skipped, TestSuite

from netra_runner.plugin.tracebacks import error_lines
from netra_runner.results import Outcome, TestResult

OUTPUT_CAP = 4000
# pytest frames captured output with headers like "----- Captured Out -----".
_EMPTY_SECTION = re.compile(r"-+ Captured \w+ -+\s*(?=-+ Captured|\Z)")


class UnreadableReport(Exception):
    pass


def read_junit(path: Path, category: str, *, zero_based_lines: bool) -> tuple[TestResult, ...]:
    try:
        xml = JUnitXml.fromfile(str(path))
    # SyntaxError: ElementTree's ParseError, and lxml's XMLSyntaxError when junitparser
    # finds lxml installed (a report torn by a killed suite must never crash the run).
    except (OSError, SyntaxError, JUnitXmlError) as exc:
        raise UnreadableReport(f"{path.name}: {exc}") from None
    offset = 1 if zero_based_lines else 0
    return tuple(_result(case, category, offset) for case in _cases(xml))


def _cases(node: Any) -> Iterator[Any]:
    """Every testcase, however deeply the producer nested its testsuites."""
    for child in node:
        if isinstance(child, JUnitXml | TestSuite):
            yield from _cases(child)
        else:
            yield child


def _result(case: Any, category: str, line_offset: int) -> TestResult:
    outcome, message, details = _outcome(case)
    attrs = case._elem.attrib  # xunit1's file/line have no junitparser accessor
    line = attrs.get("line")
    classname, name = case.classname or "", case.name or ""
    if message == "collection failure":
        message = f"collection error in {attrs.get('file') or name}"
        details = error_lines(details)
    return TestResult(
        category=category,
        classname=classname,
        name=name,
        outcome=outcome,
        duration=float(case.time or 0.0),
        file=attrs.get("file"),
        line=int(line) + line_offset if line and line.isdigit() else None,
        message=message,
        details=details,
        output=_output(case) if outcome.is_bad else "",
    )


def _outcome(case: Any) -> tuple[Outcome, str, str]:
    for kind, outcome in (
        (Error, Outcome.ERROR),
        (Failure, Outcome.FAILED),
        (Skipped, Outcome.SKIPPED),
    ):
        for entry in case.result:
            if isinstance(entry, kind):
                if entry.type == "pytest.xfail":  # pytest's JUnit for an expected failure
                    outcome = Outcome.XFAILED
                return outcome, entry.message or "", entry.text or ""
    return Outcome.PASSED, "", ""


def _output(case: Any) -> str:
    text = "\n".join(part for part in (case.system_out, case.system_err) if part)
    text = _EMPTY_SECTION.sub("", text).strip()
    return text if len(text) <= OUTPUT_CAP else "[...]\n" + text[-OUTPUT_CAP:]
