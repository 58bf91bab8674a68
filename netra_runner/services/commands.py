"""`netra-run services up/down/status/logs`: services kept between runs, by hand."""

from __future__ import annotations

import os

import psutil
from rich import box
from rich.console import Console
from rich.table import Table

from netra_runner.config import Project
from netra_runner.errors import ServiceError, UsageError
from netra_runner.services.docker_backend import DockerBackend, DockerInstance
from netra_runner.services.session import ServiceSession
from netra_runner.services.spec import (
    LABEL_HASH,
    LABEL_KEEP,
    LABEL_RUN,
    Redactor,
    RunIdentity,
    service_specs,
)
from netra_runner.suggest import did_you_mean


def backend_for(project: Project) -> DockerBackend:
    started = psutil.Process().create_time()
    return DockerBackend(RunIdentity.new(project.file, os.getpid(), started))


def up(project: Project, names: list[str], out: Console) -> None:
    _check_names(project, names)
    specs = service_specs(project, set(names or project.config.services))
    session = ServiceSession(backend_for(project), specs, keep=True, say=out.print)
    with session:
        session.start()
        for name in specs:
            error = session.future(name).exception()
            if error is not None:
                raise ServiceError(str(error))
        out.print(exports_table(session))


def exports_table(session: ServiceSession) -> Table:
    table = Table("service", "healthy in", box=box.SIMPLE)
    table.add_column("exports", overflow="fold")
    for live in session.live():
        exports = "\n".join(f"{k}={session.redact(v)}" for k, v in live.exports.items())
        table.add_row(live.name, f"{live.seconds_to_healthy:.1f}s", exports)
    return table


def down(project: Project, out: Console) -> None:
    removed = backend_for(project).remove_kept()
    out.print(
        f"removed {len(removed)} kept services" + (f": {', '.join(removed)}" if removed else "")
    )


def status(project: Project, out: Console) -> None:
    specs = service_specs(project, set(project.config.services))
    table = Table("service", "state", box=box.SIMPLE)
    for heading in ("container", "ports", "kept", "definition"):
        table.add_column(heading, overflow="fold")
    for instance in backend_for(project).project_instances():
        spec = specs.get(instance.service)
        current = spec is not None and instance.labels.get(LABEL_HASH) == spec.definition_hash
        ports = ", ".join(f"127.0.0.1:{h}->{c}" for c, h in sorted(instance.ports.items()))
        kept = "yes" if instance.labels.get(LABEL_KEEP) else f"run {instance.labels.get(LABEL_RUN)}"
        table.add_row(
            instance.service,
            instance.id,
            instance.state()[1],
            ports,
            kept,
            "current" if current else "changed since started",
        )
    out.print(table if table.row_count else "no services of this project are running")


def logs(project: Project, name: str, tail: int | None, out: Console) -> None:
    _check_names(project, [name])
    found = [i for i in backend_for(project).project_instances() if i.service == name]
    if not found:
        raise UsageError(f"service {name} is not running; 'netra-run services up {name}' starts it")
    redact = Redactor(service_specs(project, {name})[name].secrets)
    out.print(redact(_newest(found).logs(tail=tail)), markup=False, highlight=False, end="")


def _newest(instances: list[DockerInstance]) -> DockerInstance:
    kept = [i for i in instances if i.labels.get(LABEL_KEEP)]
    return (kept or instances)[0]


def _check_names(project: Project, names: list[str]) -> None:
    known = project.config.services
    for name in names:
        if name not in known:
            hint = did_you_mean(name, known)
            raise UsageError(
                f"unknown service '{name}'{hint}; services: {', '.join(known) or 'none'}"
            )
