"""The merged reports/junit.xml: one testsuite per category, valid against junit-10.xsd.

The schema (what the Jenkins xUnit plugin enforces) has no file/line on testcase and no
`skipped` on testsuites, and times must be plain decimals, so attributes are set explicitly.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from junitparser import Error, Failure, JUnitXml, Skipped, SystemOut, TestSuite
from junitparser.xunit2 import (
    FlakyError,
    FlakyFailure,
    InterimResult,
    RerunError,
    RerunFailure,
    TestCase,
)

from netra_runner.reporting.files import write_bytes
from netra_runner.results import Attempt, CategoryResult, Outcome, RunResult, Status, TestResult

# Characters XML 1.0 cannot carry; test output contains them (ANSI escapes, NULs).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_RESULT = {
    Outcome.FAILED: Failure,
    Outcome.ERROR: Error,
    Outcome.SKIPPED: Skipped,
    Outcome.XFAILED: Skipped,
    Outcome.INFRA: Error,  # an error, never a failure: the test did not fail its assertions
}
# JUnit has no xfail: pytest's own JUnit writes a skip of this type, readers know it.
_TYPE = {Outcome.XFAILED: "pytest.xfail", Outcome.INFRA: "netra.infrastructure"}
COUNTED = ("xfailed", "xpassed", "not-run", "subtests-passed")  # JUnit lacks them: properties
NOT_RUN_LISTED = 200  # ids of tests that did not run, named in a suite's system-out


def clean(text: str) -> str:
    return _NOT_XML.sub("\N{REPLACEMENT CHARACTER}", text)


def write_junit(run: RunResult, path: Path) -> None:
    root = JUnitXml("netra-run")
    for category in run.categories:
        root.add_testsuite(_suite(category, _service_logs(category, run)))
    totals = run.totals()
    root.tests = sum(len(_cases(c)) for c in run.categories)
    root.failures = totals[Outcome.FAILED]
    root.errors = totals[Outcome.ERROR] + totals[Outcome.INFRA]
    root.time = _seconds(run.duration)
    write_bytes(path, xml_bytes(root))


def xml_bytes(root: JUnitXml) -> bytes:
    buffer = io.BytesIO()
    root.write(buffer)
    return buffer.getvalue()


def _service_logs(category: CategoryResult, run: RunResult) -> str:
    """What the category's services said last: often why a test against them failed."""
    tails = [
        (name, run.service_logs[name]) for name in category.services if name in run.service_logs
    ]
    return "\n".join(f"--- service {name} (last lines) ---\n{text}" for name, text in tails)


def _suite(category: CategoryResult, service_logs: str = "") -> TestSuite:
    suite = TestSuite(category.name)
    suite.add_property("category", category.name)
    suite.add_property("status", category.status.value)
    suite.add_property("services", ",".join(category.services))
    suite.add_property("workers", str(category.workers))
    if category.reason:
        suite.add_property("reason", clean(category.reason))
    cases = _cases(category)
    for test in cases:
        case = _case(test)
        if service_logs and test.outcome.is_bad:
            case.system_err = clean(service_logs)
        # add_testcase recounts the whole suite on every call: quadratic in a large run.
        suite.append(case)  # type: ignore[no-untyped-call]
    subtests = sum(t.subtests_passed for t in category.tests)
    counts = [category.count(o) for o in (Outcome.XFAILED, Outcome.XPASSED, Outcome.NOT_RUN)]
    for name, count in zip(COUNTED, [*counts, subtests], strict=True):
        if count:
            suite.add_property(name, str(count))
    note = _not_run_note(category)
    if note:
        suite.append(SystemOut(clean(note)))  # type: ignore[no-untyped-call]
    suite.tests = len(cases)
    suite.failures = sum(t.outcome is Outcome.FAILED for t in cases)
    suite.errors = sum(t.outcome in (Outcome.ERROR, Outcome.INFRA) for t in cases)
    suite.skipped = sum(t.outcome in (Outcome.SKIPPED, Outcome.XFAILED) for t in cases)
    suite.time = _seconds(category.duration)
    return suite


def _cases(category: CategoryResult) -> tuple[TestResult, ...]:
    """The tests that ran or were skipped by pytest. A test that never ran is no testcase:
    every JUnit reader would count it as skipped, or a category that never started as one
    more test, and its numbers would differ from the closing line's. Both are said in the
    suite's properties and system-out instead."""
    return tuple(t for t in category.tests if t.outcome is not Outcome.NOT_RUN)


def _not_run_note(category: CategoryResult) -> str:
    if category.status is Status.SKIPPED:
        return f"category {category.name} did not run: {category.reason}"
    ids = [t.test_id for t in category.tests if t.outcome is Outcome.NOT_RUN]
    if not ids:
        return ""
    why = category.reason or next(
        (t.message for t in category.tests if t.outcome is Outcome.NOT_RUN and t.message), ""
    )
    listed = "\n".join(ids[:NOT_RUN_LISTED])
    more = f"\n[... {len(ids) - NOT_RUN_LISTED} more]" if len(ids) > NOT_RUN_LISTED else ""
    counted = f"{len(ids)} test{'' if len(ids) == 1 else 's'}"
    return f"{counted} did not run: {why or 'no reason was recorded'}\n{listed}{more}"


def _case(test: TestResult) -> TestCase:
    case = TestCase(clean(test.name), clean(test.classname), _seconds(test.duration))
    kind = _RESULT.get(test.outcome)
    if kind is not None:
        entry = kind(clean(test.message), _TYPE.get(test.outcome, test.outcome.value))
        if test.details:
            entry.text = clean(test.details)
        case.result = [entry]
    for attempt in test.reruns:
        case.add_interim_result(_attempt(attempt, flaky=test.flaky))
    if test.output:
        case.system_out = clean(test.output)
    return case


def _attempt(attempt: Attempt, flaky: bool) -> InterimResult:
    """Surefire's convention: flaky* when a later attempt passed, rerun* when none did."""
    failed = attempt.outcome is Outcome.FAILED
    kind = (
        (FlakyFailure if failed else FlakyError)
        if flaky
        else (RerunFailure if failed else RerunError)
    )
    entry = kind(clean(attempt.message), "failure" if failed else "error")
    if attempt.details:
        entry.stack_trace = clean(attempt.details)
    if attempt.output:
        entry.system_out = clean(attempt.output)
    return entry


def _seconds(value: float) -> float:
    return round(max(value, 0.0), 3)  # never '1e-05': the schema wants plain decimals
