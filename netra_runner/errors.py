"""The one error family; each error knows its exit code (DESIGN.md, exit codes)."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    TESTS_FAILED = 1
    USAGE = 2
    SERVICES = 3
    INTERNAL = 4
    NOTHING_RAN = 5
    INTERRUPTED = 130


class NetraError(Exception):
    """An expected failure: printed as one line, never with a traceback."""

    exit_code = ExitCode.INTERNAL


class UsageError(NetraError):
    exit_code = ExitCode.USAGE


class ConfigError(UsageError):
    """One or more problems in a config file, each already naming file, line and key."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class ServiceError(NetraError):
    exit_code = ExitCode.SERVICES


class NothingToRun(NetraError):
    """Nothing to run. `allowed`: --allow-empty may excuse it (a change that touches no
    test); it never excuses a selection that names nothing."""

    exit_code = ExitCode.NOTHING_RAN

    def __init__(self, message: str, allowed: bool = True) -> None:
        super().__init__(message)
        self.allowed = allowed


class CollectionFailed(NetraError):
    """pytest could not collect a category's tests (a conftest that fails to import): an
    error, never an empty selection."""

    exit_code = ExitCode.TESTS_FAILED


class Interrupted(NetraError):
    exit_code = ExitCode.INTERRUPTED
