"""The categories.yaml schema (DESIGN.md) as frozen, validated dataclasses.

Field types are strict (no "30" for 30, no 1 for "1") so a typo never becomes a value.
Mappings are plain dicts inside frozen records: nothing downstream mutates them.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    StrictBool,
    StrictInt,
    StrictStr,
    model_validator,
)
from pydantic import PlainValidator as Plain
from pydantic.dataclasses import dataclass

from netra_runner.config.choices import Choice
from netra_runner.expressions import expression_problem
from netra_runner.limits import MAX_RETRIES, MAX_SECONDS, MAX_WORKERS

SCHEMA = ConfigDict(extra="forbid")
Seconds = Annotated[float, Strict(), Field(gt=0, le=MAX_SECONDS, allow_inf_nan=False)]
Count = Annotated[StrictInt, Field(ge=0, le=MAX_RETRIES)]
Text = Annotated[StrictStr, Field(min_length=1)]
Argv = Annotated[tuple[StrictStr, ...], Field(min_length=1)]  # "" is a valid argument
# Files, one or a list: `env_file: .env` names one, as compose takes it.
Files = Annotated[tuple[Text, ...], BeforeValidator(lambda v: (v,) if isinstance(v, str) else v)]


def _workers(value: Any) -> int | Literal["auto"]:
    if value == "auto" or (type(value) is int and 1 <= value <= MAX_WORKERS):
        return value  # type: ignore[no-any-return]
    shown = repr(value) if len(repr(value)) <= 40 else f"a {len(str(value))}-character value"
    raise ValueError(f"expected 'auto' or a whole number from 1 to {MAX_WORKERS}, got {shown}")


def _env_value(value: Any) -> str:
    # YAML reads `PORT: 5432` as a number; the environment only holds text.
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    raise ValueError(f"expected text or a number, got {value!r}")


def _regex(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a regular expression, got {value!r}")
    try:
        re.compile(value)
    except (re.error, OverflowError, RecursionError) as exc:  # a{99999999999} overflows
        raise ValueError(f"not a valid regular expression: {exc}") from None
    return value


def _expression(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a pytest -m expression, got {value!r}")
    problem = expression_problem(value)
    if problem:
        raise ValueError(f"not a valid pytest -m expression: {problem}")
    return value


def _per_test(value: Any) -> float | Literal["none"]:
    """Seconds, or 'none': netra-run's own per-test timer off (a suite's pytest-timeout
    settings and the category_timeout still apply)."""
    if value == "none":
        return "none"
    number = type(value) in (int, float) and math.isfinite(value)
    if number and 0 < value <= MAX_SECONDS:
        return float(value)
    raise ValueError(
        f"expected seconds above 0 and at most {MAX_SECONDS:g} (a week), or none, got {value!r}"
    )


def _python(value: Any) -> tuple[str, ...]:
    """`.venv`, `python3.12`, or `[.venv/bin/python, -bb]`: the interpreter, then its flags."""
    argv = (value,) if isinstance(value, str) else value
    strings = isinstance(argv, list | tuple) and all(isinstance(a, str) for a in argv)
    if strings and argv and argv[0].strip():
        return tuple(argv)
    raise ValueError(
        f"expected an interpreter or virtualenv folder, or a list of it and its flags, "
        f"got {value!r}"
    )


Workers = Annotated[int | Literal["auto"], Plain(_workers)]
Python = Annotated[tuple[str, ...], Plain(_python)]
TestTimeout = Annotated[float | Literal["none"], Plain(_per_test)]
MarkExpression = Annotated[str, Plain(_expression)]
EnvValue = Annotated[str, Plain(_env_value)]
Regex = Annotated[str, Plain(_regex)]
PortNumber = Annotated[StrictInt, Field(ge=1, le=65535)]


@dataclass(frozen=True)
class Port:
    container: int
    host: int | None = None  # None: a free host port is chosen at start

    def __str__(self) -> str:
        return f"{self.host}:{self.container}" if self.host else str(self.container)


def _port(value: Any) -> Port:
    if isinstance(value, Port):
        return value
    if type(value) is int and 1 <= value <= 65535:
        return Port(value)
    match = re.fullmatch(r"(\d{1,5}):(\d{1,5})", value) if isinstance(value, str) else None
    if match and all(1 <= int(part) <= 65535 for part in match.groups()):
        return Port(int(match[2]), int(match[1]))
    raise ValueError(
        f"expected a container port (5432) or 'HOST:CONTAINER' ('15432:5432'), got {value!r}"
    )


PortSpec = Annotated[Port, Plain(_port)]


@dataclass(frozen=True, config=SCHEMA)
class Defaults:
    timeout: TestTimeout = 300.0
    retries: Count = 0
    workers: Workers = "auto"
    category_timeout: Seconds = 3600.0  # a whole category's ceiling; past it, its tree is killed
    python: Python | None = None  # None: netra-run's own interpreter
    real_services: StrictBool = False  # start the services categories need on every run


@dataclass(frozen=True, config=SCHEMA)
class HttpCheck:
    port: PortNumber | None = None  # None: the service's first port
    path: Text = "/"
    status: Annotated[StrictInt, Field(ge=100, le=599)] = 200
    body: Regex | None = None


@dataclass(frozen=True, config=SCHEMA)
class Healthcheck:
    exec: Argv | None = None
    tcp: PortNumber | None = None
    http: HttpCheck | None = None
    log: Regex | None = None
    docker: StrictBool | None = None
    interval: Seconds = 0.5
    timeout: Seconds = 60.0

    @model_validator(mode="after")
    def _one_kind(self) -> Healthcheck:
        kinds = [kind for kind in KINDS if getattr(self, kind) not in (None, False)]
        if len(kinds) != 1:
            found = ", ".join(kinds) or "none"
            raise ValueError(f"needs exactly one of {', '.join(KINDS)} (found: {found})")
        return self

    @property
    def kind(self) -> str:
        return next(kind for kind in KINDS if getattr(self, kind) not in (None, False))


KINDS = ("exec", "tcp", "http", "log", "docker")


@dataclass(frozen=True, config=SCHEMA)
class LocalRun:
    """How the local backend runs a service without Docker (DESIGN.md, services).

    `kind` names a built-in recipe (postgres, redis) for an image whose name does not say it;
    `command` runs any server instead ({port:N}, {host} and {dir} are filled in); `bin` is
    the folder holding a recipe's binaries (relative to the project)."""

    kind: Literal["postgres", "redis"] | None = None
    command: Argv | None = None
    bin: Text | None = None

    @model_validator(mode="after")
    def _one_way(self) -> LocalRun:
        if self.command is not None and (self.kind or self.bin):
            raise ValueError(
                "'command' runs the service as given; 'kind' and 'bin' configure a built-in "
                "recipe (postgres, redis): use one or the other"
            )
        return self


@dataclass(frozen=True, config=SCHEMA)
class External:
    """A service someone else runs (a CI job's service container, a staging database):
    health-checked and exported like any other, never started, stopped or reaped.
    `ports` says where each declared port listens ('15432:5432'; by default the same
    number); `host` and the ports may use `{env:NAME}` (read when the run starts)."""

    host: StrictStr = "127.0.0.1"
    ports: tuple[StrictStr, ...] = ()


@dataclass(frozen=True, config=SCHEMA)
class Service:
    image: StrictStr = ""  # required unless external
    env: dict[str, EnvValue] = Field(default_factory=dict)
    command: Argv | None = None
    tmpfs: tuple[Text, ...] = ()
    ports: tuple[PortSpec, ...] = ()
    healthcheck: Healthcheck | None = None
    exports: dict[str, StrictStr] = Field(default_factory=dict)
    depends_on: tuple[Text, ...] = ()
    local: LocalRun = Field(default_factory=LocalRun)
    external: External | None = None
    # Run once it is healthy, before any category using it starts (migrations, seed data),
    # from the project root with its exports in the environment.
    setup: tuple[Argv, ...] = ()
    setup_inputs: tuple[Text, ...] = ()  # files and folders the set-up reads: part of its hash
    setup_timeout: Seconds = 600.0
    # worker: each worker of a category gets its own copy (a Postgres database cloned from
    # the set-up one, a Redis database number, or what `{worker}` in its exports names).
    # instance: a whole instance per worker, each set up the same way, for suites that use
    # server-wide commands (FLUSHALL, CONFIG SET, users) no database can isolate.
    isolate: Literal["worker", "instance"] | None = None
    # on-failure: one that goes down mid-run is started (and set up) again, and the tests
    # its outage failed run once more; at most restart_limit times in a run.
    restart: Literal["no", "on-failure"] = "no"
    restart_limit: Annotated[StrictInt, Field(ge=1, le=10)] = 1

    @model_validator(mode="after")
    def _runs_somewhere(self) -> Service:
        if not self.image and self.external is None:
            raise ValueError("needs 'image' (a service netra-run runs) or 'external'")
        if self.external is not None and self.restart != "no":
            raise ValueError("an external service is someone else's: netra-run cannot restart it")
        check = self.healthcheck
        if self.external is not None and check is not None and (check.log or check.docker):
            raise ValueError("an external service is checked by exec, tcp or http only")
        return self


@dataclass(frozen=True, config=SCHEMA)
class Category:
    description: StrictStr = ""
    paths: tuple[Text, ...] = ()
    markers: MarkExpression | None = None
    services: tuple[Text, ...] = ()
    depends_on: tuple[Text, ...] = ()
    timeout: TestTimeout | None = None
    retries: Count | None = None
    workers: Workers | None = None
    category_timeout: Seconds | None = None
    env: dict[str, EnvValue] = Field(default_factory=dict)
    command: Argv | None = None
    cwd: Text | None = None
    junit: Text | None = None
    python: Python | None = None  # the interpreter its pytest runs in (defaults.python)
    setup: tuple[Argv, ...] = ()  # run once before the suite, with its env and exports
    isolate: Literal["worker", "instance", "none"] | None = None  # over its services' own
    args: tuple[StrictStr, ...] = ()  # more pytest arguments; {NAME} is a service's export
    coverage: Text | None = None  # a command suite's coverage.py data file, for --cov
    env_file: Files = ()  # dotenv files, from the project root: under `env`

    @model_validator(mode="after")
    def _one_kind(self) -> Category:
        if bool(self.paths) == bool(self.command):
            raise ValueError("needs either 'paths' (a pytest suite) or 'command' (any command)")
        if self.command is None and self.junit:
            raise ValueError(
                "'junit' belongs to a 'command' suite; a pytest suite's report is netra-run's"
            )
        if self.command is not None and self.markers:
            raise ValueError("'markers' selects pytest tests; a 'command' suite has none")
        if self.command is not None and (self.python or self.args):
            raise ValueError(
                "'python' and 'args' belong to a pytest suite; a 'command' suite has its own"
            )
        if self.command is None and self.coverage:
            raise ValueError(
                "'coverage' names a 'command' suite's data file; --cov measures a pytest "
                "suite itself"
            )
        return self

    @property
    def is_pytest(self) -> bool:
        return self.command is None


@dataclass(frozen=True, config=SCHEMA)
class Coverage:
    """What --cov's gate is (the source is the coverage.py configuration's, or --cov's)."""

    fail_under: Annotated[float, Strict(), Field(ge=0, le=100, allow_inf_nan=False)] | None = None


@dataclass(frozen=True, config=SCHEMA)
class Config:
    version: Literal[1]
    categories: Annotated[dict[str, Category], Field(min_length=1)]
    defaults: Defaults = Field(default_factory=Defaults)
    services: dict[str, Service] = Field(default_factory=dict)
    profiles: dict[str, dict[str, Any]] = Field(default_factory=dict)
    coverage: Coverage = Field(default_factory=Coverage)
    compose: Files = ()  # compose files the services come from (config/compose.py)


@dataclass(frozen=True, config=SCHEMA)
class RunDefaults:
    """What a profile's `run:` turns on; flags given on the command line still win."""

    plain: StrictBool = False
    quiet: StrictBool = False
    fail_fast: StrictBool = False
    failed_first: StrictBool = False
    last_failed: StrictBool = False
    changed: StrictBool = False
    changed_since: Text | None = None
    budget: Seconds | None = None
    allow_empty: StrictBool = False
    services: Choice | None = None  # how --real-services runs them
    real_services: StrictBool = False  # --real-services: the services the selection needs
    cov: StrictBool = False  # --cov: measure coverage (the default source)
