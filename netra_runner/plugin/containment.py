"""What a test writes reaches no report raw: secrets masked, each text capped."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

from netra_runner.plugin import agreement as agreed
from netra_runner.plugin.capture import shrink
from netra_runner.plugin.masking import Masker, capped
from netra_runner.plugin.subtests import description, is_subtest, make_sendable


def masker() -> Masker:
    """The secrets netra-run handed this suite. Left in the environment: xdist's workers
    inherit it from the controller, and a test printing it prints masked values."""
    try:
        values = json.loads(os.environ.get(agreed.MASK_VALUES, "[]"))
    except ValueError:
        values = []
    return Masker(v for v in values if isinstance(v, str))


class Containment:
    """What a test wrote reaches no report raw: secrets masked, each text capped (its head
    and tail kept). First of all plugins, so JUnit, xdist and the events see only this."""

    def __init__(self, masker: Masker) -> None:
        self.mask = masker

    # Innermost around each phase: the capture file is cut down before pytest reads it
    # whole into memory (a test printing 200 MB would cost pytest twice that).
    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Iterator[None]:
        return (yield from _shrinking_capture(item.config))

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Iterator[None]:
        return (yield from _shrinking_capture(item.config))

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Iterator[None]:
        return (yield from _shrinking_capture(item.config))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self._contain(report)
        if is_subtest(report):
            # Named where its values are: xdist sends them as text, and the name must be
            # the one a serial run gives.
            if not hasattr(report, "netra_subtest"):  # the controller: named by its worker
                report.netra_subtest = description(report)  # type: ignore[attr-defined]
            make_sendable(report)

    @pytest.hookimpl(tryfirst=True)
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        self._contain(report)

    def _contain(self, report: pytest.TestReport | pytest.CollectReport) -> None:
        # Masking and capping twice change nothing: the xdist controller does both again.
        report.sections = [(t, capped(self.mask(text))) for t, text in report.sections]
        if report.longrepr is None:
            return
        if isinstance(report.longrepr, tuple):  # a skip: (file, line, reason)
            file, line, reason = report.longrepr
            report.longrepr = (file, line, self.mask(reason))
            return
        text = report.longreprtext
        shown = capped(self.mask(text))
        if shown != text:
            crash = getattr(report.longrepr, "reprcrash", None)
            if crash is not None:
                report.netra_message = self.mask(str(crash.message))  # type: ignore[union-attr]
            report.longrepr = shown


def _shrinking_capture(config: pytest.Config) -> Iterator[None]:
    try:
        return (yield)
    finally:
        capturing = getattr(
            config.pluginmanager.getplugin("capturemanager"), "_global_capturing", None
        )
        for capture in (getattr(capturing, "out", None), getattr(capturing, "err", None)):
            shrink(getattr(capture, "tmpfile", None))
