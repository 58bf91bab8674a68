"""pytest 9's subtests (`subtests` fixture, unittest's subTest), counted as pytest counts
them: a failed, skipped or xfailed subtest is a result of its own (`<test id> <subtest>`),
a passed one is a count on its test, and the test's own outcome is its own.

Imported by the pytest plugin in every test process: standard library and pytest only.
"""

from __future__ import annotations

from typing import Any

import pytest

_PLAIN = (str, int, float, bool, type(None))


def is_subtest(report: pytest.TestReport) -> bool:
    return type(report).__name__ == "SubtestReport" and hasattr(report, "context")


def description(report: pytest.TestReport) -> str:
    describe = getattr(report, "_sub_test_description", None)
    return str(describe()) if callable(describe) else "(<subtest>)"


def outcome(report: pytest.TestReport) -> str:
    if hasattr(report, "wasxfail") and report.skipped:
        return "xfailed"
    return str(report.outcome)


def make_sendable(report: pytest.TestReport) -> None:
    """A subtest's keyword values as their repr when execnet cannot send them (a range,
    an object): xdist's worker would otherwise fail the test with DumpError (plain
    `pytest -n 2` does). The value is then shown quoted."""
    context = getattr(report, "context", None)
    kwargs: dict[str, Any] | None = getattr(context, "kwargs", None)
    if not kwargs or all(isinstance(v, _PLAIN) for v in kwargs.values()):
        return
    shown = {k: v if isinstance(v, _PLAIN) else repr(v) for k, v in kwargs.items()}
    try:
        object.__setattr__(context, "kwargs", shown)
    except (AttributeError, TypeError):  # a future pytest's read-only context: leave it
        return
