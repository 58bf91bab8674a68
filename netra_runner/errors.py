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
    exit_code = ExitCode.NOTHING_RAN


class Interrupted(NetraError):
    exit_code = ExitCode.INTERRUPTED
