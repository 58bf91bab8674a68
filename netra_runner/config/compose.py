"""Services from a Docker Compose file: one definition, not two.

`compose: compose.yml` in categories.yaml reads the file's services (image, environment,
env_file, command, ports, tmpfs, health check, depends_on), with compose's own variable
interpolation (`${VAR}`, `${VAR:-default}`, the `.env` beside the file, the shell's
environment over it). What compose cannot say (exports, set-up, isolation) is added under
`services:` in categories.yaml, merged over the compose service of the same name. A
service of a known image (Postgres, Redis) that categories.yaml gives no exports gets them,
named as such apps name them: a URL and the separate variables.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

from netra_runner.errors import ConfigError

COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
_VARIABLE = re.compile(
    r"\$(?:\$|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|us|s|m|h)")
_SECONDS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def compose_services(root: Path, files: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """netra-run service definitions (plain data, validated with the rest of the config)
    from the compose files in turn, a later file's service merged over an earlier one's."""
    found: dict[str, dict[str, Any]] = {}
    for name in files:
        path = root / name
        for service, spec in _read(path).items():
            if isinstance(spec, dict) and "image" not in spec and "build" in spec:
                continue  # the app itself, built from source: not a service its tests need
            found[service] = {**found.get(service, {}), **_service(path, service, spec)}
    for spec in found.values():  # an app built from source is no service to wait for
        if "depends_on" in spec:
            spec["depends_on"] = [d for d in spec["depends_on"] if d in found]
    return found


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read this compose file: {exc.strerror}"]) from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise ConfigError([f"{path}:{line}: invalid YAML: {exc.problem or exc}"]) from None
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path}: invalid YAML: {exc}"]) from None
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict):
        raise ConfigError([f"{path}: no 'services:' mapping: is it a compose file?"])
    variables = {**_dotenv(path.parent / ".env"), **os.environ}
    return {str(k): _interpolate(v, variables, path) for k, v in services.items()}


def _dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    from dotenv import dotenv_values  # only where a compose file is read

    return {k: v for k, v in dotenv_values(path).items() if v is not None}


def _interpolate(value: Any, variables: Mapping[str, str], path: Path) -> Any:
    if isinstance(value, str):
        return _VARIABLE.sub(lambda m: _substitute(m, variables, path), value)
    if isinstance(value, list):
        return [_interpolate(v, variables, path) for v in value]
    if isinstance(value, dict):
        return {k: _interpolate(v, variables, path) for k, v in value.items()}
    return value


def _substitute(found: re.Match[str], variables: Mapping[str, str], path: Path) -> str:
    if found.group(0) == "$$":
        return "$"
    name = found.group("braced") or found.group("bare")
    op, arg = found.group("op"), found.group("arg") or ""
    value = variables.get(name)
    empty = value is None or (value == "" and op is not None and op.startswith(":"))
    if op in (":-", "-"):
        return arg if (value is None if op == "-" else empty) else str(value)
    if op in (":?", "?") and (value is None if op == "?" else empty):
        raise ConfigError([f"{path}: ${{{name}}} is required: {arg or 'not set'}"])
    if op in (":+", "+"):
        return arg if not (value is None if op == "+" else empty) else ""
    return value or ""


# The shapes compose takes for the keys read here; anything else is a config error.
_SHAPES: dict[str, tuple[type, ...]] = {
    "image": (str,),
    "environment": (dict, list),
    "env_file": (str, list),
    "command": (str, list),
    "ports": (list,),
    "tmpfs": (str, list),
    "depends_on": (list, dict),
    "healthcheck": (dict,),
}


def _checked(path: Path, name: str, spec: object) -> dict[str, Any]:
    if not isinstance(spec, dict):
        raise ConfigError([f"{path}: services.{name}: expected a mapping"])
    for key, shapes in _SHAPES.items():
        value = spec.get(key)
        if value is not None and not isinstance(value, shapes):
            wanted = " or ".join("text" if t is str else t.__name__ for t in shapes)
            raise ConfigError([f"{path}: services.{name}.{key}: expected {wanted}, got {value!r}"])
    return spec


def _service(path: Path, name: str, given: object) -> dict[str, Any]:
    spec = _checked(path, name, given)
    out: dict[str, Any] = {}
    if "image" in spec:
        out["image"] = spec["image"]
    env = {**_env_files(path.parent, spec.get("env_file")), **_environment(spec)}
    if env:
        out["env"] = env
    if spec.get("command") is not None:
        command = spec["command"]
        try:
            words = shlex.split(command) if isinstance(command, str) else command
        except ValueError as exc:  # an unbalanced quote
            raise ConfigError([f"{path}: services.{name}.command: {exc}"]) from None
        out["command"] = [str(word) for word in words]
    ports = [_container_port(p) for p in spec.get("ports") or ()]
    if ports:
        out["ports"] = [p for p in ports if p is not None]
    tmpfs = spec.get("tmpfs")
    if tmpfs:
        out["tmpfs"] = [tmpfs] if isinstance(tmpfs, str) else [str(t) for t in tmpfs]
    depends = spec.get("depends_on")
    if depends:
        out["depends_on"] = [str(d) for d in depends]
    check = _healthcheck(spec.get("healthcheck"))
    if check is not None:
        out["healthcheck"] = check
    return out | known_image_defaults(out)


def _environment(spec: Mapping[str, Any]) -> dict[str, str]:
    given = spec.get("environment") or {}
    if isinstance(given, list):
        pairs = (str(item).partition("=") for item in given)
        return {k: v for k, sep, v in pairs if sep}  # a bare name passes the shell's: none
    return {str(k): "" if v is None else str(v) for k, v in given.items()}


def _env_files(folder: Path, files: object) -> dict[str, str]:
    names = [files] if isinstance(files, str) else files if isinstance(files, list) else []
    values: dict[str, str] = {}
    for entry in names:
        name = entry.get("path") if isinstance(entry, dict) else entry
        values |= _dotenv(folder / str(name))
    return values


def _container_port(port: object) -> int | None:
    """The container's side of a compose port: 5432, "5432:5432", "127.0.0.1:8000:80/tcp",
    {target: 5432}; a range is left out."""
    if isinstance(port, dict):
        port = port.get("target")
    text = str(port).split("/")[0].rsplit(":", 1)[-1]
    return int(text) if text.isdigit() else None


def _healthcheck(check: object) -> dict[str, Any] | None:
    if not isinstance(check, dict) or check.get("disable"):
        return None
    test = check.get("test")
    argv: list[str]
    if isinstance(test, str):
        argv = ["sh", "-c", test]
    elif isinstance(test, list) and test and test[0] == "CMD":
        argv = [str(word) for word in test[1:]]
    elif isinstance(test, list) and test and test[0] == "CMD-SHELL":
        argv = ["sh", "-c", " ".join(str(word) for word in test[1:])]
    else:
        return None  # NONE, or inherited from the image: netra-run's default check
    found: dict[str, Any] = {"exec": argv}
    interval = _seconds(check.get("interval"))
    if interval is not None:
        # compose waits long between checks (30 s by default); a test run polls fast
        found["interval"] = min(interval, 1.0)
    return found


def _seconds(text: object) -> float | None:
    if text is None:
        return None
    parts = _DURATION.findall(str(text))
    return sum(float(n) * _SECONDS[unit] for n, unit in parts) if parts else None


def image_kind(image: str) -> str | None:
    """postgres or redis, by the image's name (its repository, without registry and tag)."""
    repository = image.rsplit("/", 1)[-1].split(":")[0].split("@")[0]
    if repository in ("postgres", "postgis") or repository.startswith("postgres"):
        return "postgres"
    if repository in ("redis", "valkey", "redis-stack-server") or repository.startswith("redis"):
        return "redis"
    return None


def known_image_defaults(service: Mapping[str, Any]) -> dict[str, Any]:
    """The exports a Postgres or Redis service gets, and its health check: one that works
    on both backends (a compose file's shell check assumes the container's defaults)."""
    kind = image_kind(str(service.get("image", "")))
    env = service.get("env") or {}
    ports = {"ports": [PORTS[kind]]} if kind and not service.get("ports") else {}
    return ports | _kind_defaults(kind, env)


PORTS = {"postgres": 5432, "redis": 6379}  # what the official images listen on


def _kind_defaults(kind: str | None, env: Mapping[str, str]) -> dict[str, Any]:
    if kind == "postgres":
        user = env.get("POSTGRES_USER") or "postgres"
        password = env.get("POSTGRES_PASSWORD", "")
        database = env.get("POSTGRES_DB") or user
        check = {"exec": ["pg_isready", "-h", "127.0.0.1", "-U", user, "-d", database]}
        exports = {
            "DATABASE_URL": (
                f"postgresql://{quote(user, safe='')}:{quote(password, safe='')}"
                f"@{{host}}:{{port:5432}}/{quote(database, safe='')}"
            ),
            "POSTGRES_SERVER": "{host}",
            "POSTGRES_HOST": "{host}",
            "POSTGRES_PORT": "{port:5432}",
            "POSTGRES_USER": user,
            "POSTGRES_PASSWORD": password,
            "POSTGRES_DB": database,
        }
        return {"healthcheck": check, "exports": exports}
    if kind == "redis":
        exports = {
            "REDIS_URL": "redis://{host}:{port:6379}/0",
            "REDIS_HOST": "{host}",
            "REDIS_PORT": "{port:6379}",
        }
        check = {"exec": ["redis-cli", "ping"]}
        return {"healthcheck": check, "exports": exports}
    return {}


def find_compose(root: Path) -> list[str]:
    return [name for name in COMPOSE_FILES if (root / name).is_file()]
