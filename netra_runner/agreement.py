"""The agreement between netra-run and the pytest processes it starts: the options its
plugin takes, and the variables that start what it does before any option is read. Both
sides build and read them here, never by hand.

Standard library only: imported by the pytest plugin in every worker process.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Option:
    flag: str  # on the command line: --netra-events
    dest: str  # in pytest's option namespace: netra_events
    help: str

    def __call__(self, value: object) -> str:
        """The option with its value, as one word: `--netra-events=PATH`."""
        return f"{self.flag}={value}"

    def given(self, word: str) -> bool:
        return word.startswith(f"{self.flag}=")

    def value_in(self, argv: Sequence[str]) -> str | None:
        return next((w[len(self.flag) + 1 :] for w in argv if self.given(w)), None)


EVENTS = Option("--netra-events", "netra_events", "NDJSON event file")
RETRIES = Option("--netra-retries", "netra_retries", "reruns of a failure")
TIMEOUT = Option("--netra-timeout", "netra_timeout", "seconds per test")
DURATIONS = Option("--netra-durations", "netra_durations", "durations history")
FIRST = Option("--netra-first", "netra_first", "file of test ids to run first")
FLAGS = Option("--netra-python-flags", "netra_python_flags", "interpreter flags for workers")
SLICE = Option("--netra-slice", "netra_slice", "K/N: this process is worker K of N")
CLAIMS = Option("--netra-claims", "netra_claims", "with --netra-slice: claim work here")

OPTIONS = (EVENTS, RETRIES, TIMEOUT, DURATIONS, FIRST, FLAGS, SLICE, CLAIMS)

COVERAGE = "NETRA_COVERAGE"  # {"data": folder, "source": [...], "context", "config"}: measure
