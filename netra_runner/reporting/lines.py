"""Line-oriented progress: what CI logs show, and what prints above the live view."""

from __future__ import annotations

import threading

from rich.console import Console
from rich.text import Text

from netra_runner.events import FAILED_OUTCOMES, Event
from netra_runner.plugin.agreement import WorkerEvent
from netra_runner.reporting import console as render
from netra_runner.results import CategoryResult

QUIET, NORMAL, VERBOSE = -1, 0, 1


class ProgressLines:
    """Whole lines from any thread: services, categories, failures the moment they happen."""

    def __init__(self, out: Console, verbosity: int = NORMAL) -> None:
        self.out = out
        self.verbosity = verbosity
        self.lock = threading.Lock()

    def __call__(self, text: str) -> None:
        if self.verbosity > QUIET:
            self._print(Text(text, style="dim"))

    def on_event(self, event: Event) -> None:
        if event["event"] != WorkerEvent.TEST_FINISHED or event.get("outcome") == "rerun":
            return
        failed = event.get("outcome") in FAILED_OUTCOMES
        if self.verbosity >= VERBOSE:
            self._print(render.test_line(event))
        elif failed:
            self._print(
                Text(
                    f"{event['outcome'].upper():<11} [{event.get('category')}] {event['nodeid']}",
                    style="red",
                )
            )

    def category(self, text: str, result: CategoryResult | None) -> None:
        if result is None:
            self(text)
        elif self.verbosity > QUIET:
            self._print(render.finished_line(result))

    def _print(self, line: Text) -> None:
        with self.lock:
            self.out.print(line, soft_wrap=True, highlight=False)
