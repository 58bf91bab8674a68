"""Checks that span records: names, references between them, cycles, export templates."""

from __future__ import annotations

import graphlib
import re
import string
from collections.abc import Iterable, Mapping

from netra_runner.config.model import Category, Config, Service
from netra_runner.config.yaml_source import KeyPath, Source
from netra_runner.suggest import did_you_mean

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ARG_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")  # {REDIS_URL} in a category's args


def render_args(argv: tuple[str, ...], exports: Mapping[str, str]) -> tuple[str, ...]:
    """A command with its {NAME} placeholders filled from the services' exports."""
    return tuple(
        ARG_PLACEHOLDER.sub(lambda found: exports.get(found[1], found[0]), arg) for arg in argv
    )


def check_references(config: Config, source: Source) -> list[str]:
    problems: list[str] = []
    for section in ("categories", "services"):
        for name in getattr(config, section):
            if not NAME.fullmatch(name):
                problems.append(
                    f"{source.where((section, name))}: a name uses letters, digits, '.', '_', '-'"
                )
    for name, category in config.categories.items():
        where = ("categories", name)
        problems += _unknown(
            source, (*where, "services"), category.services, config.services, "service"
        )
        problems += _unknown(
            source, (*where, "depends_on"), category.depends_on, config.categories, "category"
        )
        problems += _args(source, config, name, category)
        problems += _env_names(source, (*where, "env"), category.env)
    for name, service in config.services.items():
        where = ("services", name)
        problems += _env_names(source, (*where, "env"), service.env)
        problems += _env_names(source, (*where, "exports"), service.exports)
        problems += _unknown(
            source, (*where, "depends_on"), service.depends_on, config.services, "service"
        )
        problems += _exports(source, name, service)
        problems += _probe_port(source, name, service)
    problems += _cycles(
        source, "categories", {n: c.depends_on for n, c in config.categories.items()}
    )
    problems += _cycles(source, "services", {n: s.depends_on for n, s in config.services.items()})
    return problems


def _env_names(source: Source, where: KeyPath, names: Iterable[str]) -> list[str]:
    """Names the environment can hold: the OS refuses an empty one or one with '=' (found
    here, not when a suite starts)."""
    return [
        f"{source.where((*where, key))}: {key!r} cannot name an environment variable "
        "(it is empty or holds '=')"
        for key in names
        if not key or "=" in key
    ]


def _unknown(
    source: Source,
    path: tuple[str, ...],
    names: Iterable[str],
    known: Mapping[str, object],
    kind: str,
) -> list[str]:
    return [
        f"{source.where((*path, index))}: unknown {kind} '{name}'{did_you_mean(name, known)}"
        for index, name in enumerate(names)
        if name not in known
    ]


def _cycles(source: Source, section: str, graph: dict[str, tuple[str, ...]]) -> list[str]:
    known = {name: tuple(dep for dep in deps if dep in graph) for name, deps in graph.items()}
    try:
        tuple(graphlib.TopologicalSorter(known).static_order())
    except graphlib.CycleError as exc:
        cycle = exc.args[1]
        where = source.where((section, cycle[0], "depends_on"))
        return [f"{where}: dependency cycle: {' -> '.join(cycle)}"]
    return []


def _args(source: Source, config: Config, name: str, category: Category) -> list[str]:
    """A category's `args` may use {NAME} for an export of one of its services."""
    exports = {
        key
        for service in category.services
        if service in config.services
        for key in config.services[service].exports
    }
    problems = []
    for index, arg in enumerate(category.args):
        for found in ARG_PLACEHOLDER.finditer(arg):
            if found[1] not in exports:
                known = ", ".join(sorted(exports)) or "none: it uses no service with exports"
                problems.append(
                    f"{source.where(('categories', name, 'args', index))}: '{found[0]}' is not "
                    f"an export of its services (exports: {known})"
                )
    return problems


def _exports(source: Source, name: str, service: Service) -> list[str]:
    """Exports may use {host}, {name} and {port:N} for a port N the service declares."""
    problems = []
    declared = {port.container for port in service.ports}
    for key, template in service.exports.items():
        where = source.where(("services", name, "exports", key))
        try:
            fields = [
                (f, spec) for _, f, spec, _ in string.Formatter().parse(template) if f is not None
            ]
        except ValueError as exc:
            problems.append(f"{where}: bad template: {exc}")
            continue
        for field, spec in fields:
            if field in ("host", "name", "worker") and not spec:
                continue
            if field == "env" and spec and ENV_NAME.fullmatch(spec):
                continue
            if field == "port" and spec and spec.isdigit() and int(spec) in declared:
                continue
            problems.append(
                f"{where}: '{{{field}{':' + spec if spec else ''}}}' is not a known placeholder; "
                f"use {{host}}, {{name}}, {{worker}}, {{env:NAME}} or {{port:N}} with N one "
                f"of ports {sorted(declared)}"
            )
    return problems


def _probe_port(source: Source, name: str, service: Service) -> list[str]:
    """tcp and http checks go through a published port, so it must be one of `ports`."""
    check = service.healthcheck
    if check is None:
        return []
    declared = sorted(port.container for port in service.ports)
    wanted = check.tcp if check.tcp is not None else check.http.port if check.http else None
    key = "tcp" if check.tcp is not None else "http"
    if (wanted is not None and wanted not in declared) or (check.http and not declared):
        where = source.where(("services", name, "healthcheck", key))
        return [f"{where}: checks a port the service does not publish; ports: {declared or 'none'}"]
    return []
