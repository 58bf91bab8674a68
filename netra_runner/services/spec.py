"""What a service is for one run: its definition, identity, labels, and what must stay secret."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import psutil

from netra_runner.config import Project, Service
from netra_runner.errors import ServiceError
from netra_runner.plugin.masking import Masker, is_secret_name

LABEL_RUN = "netra.run"
LABEL_OWNER = "netra.owner-pid"
LABEL_OWNER_STARTED = "netra.owner-started"
LABEL_HASH = "netra.config-hash"
LABEL_PROJECT = "netra.project"
LABEL_SERVICE = "netra.service"
LABEL_KEEP = "netra.keep"


def project_id(project_file: Path) -> str:
    """What a project's services, instances and process marks are known by."""
    return hashlib.sha256(str(project_file.resolve()).encode()).hexdigest()[:10]


@dataclass(frozen=True)
class RunIdentity:
    """Who owns the resources a run creates; everything it creates carries these labels."""

    run_id: str
    project_id: str
    owner_pid: int
    owner_started: float

    @classmethod
    def new(cls, project_file: Path, pid: int, started: float) -> RunIdentity:
        return cls(secrets.token_hex(4), project_id(project_file), pid, started)

    def labels(self, config_hash: str, keep: bool) -> dict[str, str]:
        labels = {
            LABEL_RUN: self.run_id,
            LABEL_OWNER: str(self.owner_pid),
            LABEL_OWNER_STARTED: f"{self.owner_started:.2f}",
            LABEL_HASH: config_hash,
            LABEL_PROJECT: self.project_id,
        }
        if keep:
            labels[LABEL_KEEP] = "true"
        return labels


def orphaned(labels: dict[str, str]) -> bool:
    """Whether what carries these labels was left by a run that is gone (kept ones never are)."""
    if labels.get(LABEL_KEEP) == "true":
        return False
    try:
        owner = psutil.Process(int(labels[LABEL_OWNER]))
        started = float(labels.get(LABEL_OWNER_STARTED, "0"))
        # A live pid with another start time is a new process that reused the number.
        return abs(owner.create_time() - started) > 1.0
    except (psutil.NoSuchProcess, KeyError, ValueError):
        return True


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    service: Service
    definition_hash: str  # what decides whether a kept container may be reused

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(
            value for key, value in self.service.env.items() if is_secret_name(key) and value
        )


def service_specs(project: Project, names: set[str]) -> dict[str, ServiceSpec]:
    """The services named and everything they depend on, keyed by name."""
    wanted: dict[str, ServiceSpec] = {}
    pending = sorted(names)
    while pending:
        name = pending.pop()
        if name in wanted:
            continue
        service = project.config.services[name]
        wanted[name] = ServiceSpec(name, service, definition_hash(service, project.root))
        pending.extend(service.depends_on)
    return wanted


def definition_hash(service: Service, root: Path | None = None) -> str:
    """The definition, set-up commands included, and what the set-up reads (`setup_inputs`,
    relative to the project root): a kept service whose migrations changed is set up anew."""
    fields = dataclasses.asdict(service)
    for what_a_run_does in ("restart", "restart_limit"):  # not what the service is
        fields.pop(what_a_run_does)
    data = json.dumps(fields, sort_keys=True, default=str)
    digest = hashlib.sha256(data.encode())
    if root is not None:
        for name in service.setup_inputs:
            _hash_tree(digest, root / name)
    return digest.hexdigest()[:16]


def _hash_tree(digest: hashlib._Hash, path: Path) -> None:
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(f"{file.relative_to(path.parent)}\0".encode())
        try:
            with file.open("rb") as data:
                for block in iter(lambda: data.read(1 << 20), b""):
                    digest.update(block)
        except OSError:
            digest.update(b"(unreadable)")


class Redactor(Masker):
    """Masks secret values (and URL passwords) in anything shown about services."""


def render_exports(spec: ServiceSpec, host: str, ports: dict[int, int]) -> dict[str, str]:
    """{host}, {name}, {port:N} (the host port published for container port N) and
    {env:NAME} (this machine's environment: an external service's address, say)."""
    rendered = {}
    for key, template in spec.service.exports.items():
        fill = functools.partial(_fill, spec, host, ports, f"services.{spec.name}.exports.{key}")
        rendered[key] = _PLACEHOLDER.sub(fill, template)
    return rendered


_PLACEHOLDER = re.compile(r"\{(host|name|port:(\d+)|env:(\w+))\}")


def _fill(
    spec: ServiceSpec, host: str, ports: dict[int, int], where: str, found: re.Match[str]
) -> str:
    if found[1] == "host":
        return host
    if found[1] == "name":
        return spec.name
    if found[3]:
        return from_env(found[3], where)
    return str(ports[int(found[2])])


def from_env(name: str, where: str) -> str:
    value = os.environ.get(name)
    if value is None:
        raise ServiceError(f"{where}: {{env:{name}}} but {name} is not set in the environment")
    return value


def expand_env(text: str, where: str) -> str:
    """An external service's host or port: text, or {env:NAME} in it."""
    return re.sub(r"\{env:(\w+)\}", lambda m: from_env(m[1], where), text)
