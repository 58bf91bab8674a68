"""The agreement between netra-run and the pytest processes it starts: the options its
plugin takes, the variables that start what it does before any option is read, the events
it writes and the files beside them. Both sides build and read them here, never by hand.

Standard library only: imported by the pytest plugin in every worker process.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


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
ONLY = Option("--netra-only", "netra_only", "file of test ids: run those of them collected")
ROOT = Option("--netra-root", "netra_root", "the project root: ids are named from there")

OPTIONS = (EVENTS, RETRIES, TIMEOUT, DURATIONS, FIRST, FLAGS, SLICE, CLAIMS, ONLY, ROOT)

# Variables in a worker's environment, there before its interpreter starts.
COVERAGE = "NETRA_COVERAGE"  # {"data": folder, "source": [...], "context", "config"}: measure
WORKER_ENV = "NETRA_WORKER_ENV"  # JSON: worker id -> its variables (an xdist worker's own)
GATE = "NETRA_WORKER_GATE"  # JSON {"path", "who"}: wait for netra-run's answer there
GATE_FILE = "NETRA_WORKER_GATE_FILE"  # in a worker's entry: the gate of its own copies
HEALTH = "NETRA_SERVICES_HEALTH"  # JSON list: files of netra-run's verdicts on the services
MASK_VALUES = "NETRA_MASK"  # JSON list: the values the plugin masks in what it reports


class WorkerEvent:
    """The events a pytest process writes, one JSON record a line in its event file:
    {"t": epoch seconds, "event": NAME, ...fields}. netra-run reads them as they come."""

    CONFTEST_STARTED = "conftest_started"  # path: being imported (one that ends it is named)
    CONFTEST_EXITED = "conftest_exited"  # path, code: it called sys.exit at import
    CONFTEST_FINISHED = "conftest_finished"  # path
    SESSION_FAILED = "session_failed"  # message: the suite refused to start
    COLLECTED = "collected"  # tests: ids; slice: the worker's share of the plan
    COLLECT_ERROR = "collect_error"  # nodeid, message
    CLAIMED = "claimed"  # tests: ids a worker took from the plan
    TEST_STARTED = "test_started"  # nodeid, worker
    TEST_FINISHED = "test_finished"  # nodeid, outcome, duration, setup, message, output...
    WORKER_REPLACING = "worker_replacing"  # worker, dead, seq: answered in reply_file
    SESSION_FINISHED = "session_finished"  # exitstatus, warnings: how many pytest recorded


# Files beside the verdicts and the event file.
ASKED = ".asked"  # touched beside the verdicts: netra-run then probes at its next look


def reply_file(events: Path, worker: str, seq: int) -> Path:
    """Where netra-run answers the controller's `worker_replacing` event `seq`."""
    return events.with_name(f".{events.name}.{worker}.{seq}.reply")


def watchdog_file(events: Path, worker: str) -> Path:
    """Where a worker's watchdog says which test it is timing (read by the controller)."""
    return events.with_name(f"watchdog-{worker}.txt")
