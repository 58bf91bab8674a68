"""`netra-run services up/down/status/logs`: services kept between runs, by hand."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Collection

import psutil
from rich import box
from rich.console import Console
from rich.table import Table

from netra_runner.config import Project
from netra_runner.config.choices import Choice
from netra_runner.errors import ServiceError, UsageError
from netra_runner.reporting.text import shown
from netra_runner.services.backend import Backend, ServiceInstance
from netra_runner.services.choice import open_backend
from netra_runner.services.session import ServiceSession
from netra_runner.services.spec import (
    LABEL_HASH,
    LABEL_KEEP,
    LABEL_RUN,
    Redactor,
    RunIdentity,
    ServiceSpec,
    service_specs,
)
from netra_runner.suggest import did_you_mean


def _identity(project: Project) -> RunIdentity:
    return RunIdentity.new(project.file, os.getpid(), psutil.Process().create_time())


def backend_for(
    project: Project, choice: Choice, out: Console, specs: Collection[ServiceSpec] = ()
) -> Backend:
    return open_backend(choice, _identity(project), project.root, _lines(out), specs)


def backends_for(project: Project, choice: Choice) -> list[Backend]:
    """What `status`, `logs` and `down` look at: with auto, local services always, and
    Docker's when an engine answers, so nothing kept is missed whichever started it."""
    identity = _identity(project)
    if choice != "auto":
        return [open_backend(choice, identity, project.root, _silent)]
    found = []
    with contextlib.suppress(ServiceError):
        found.append(open_backend("docker", identity, project.root, _silent))
    return [*found, open_backend("local", identity, project.root, _silent)]


WIDE = 400  # columns for a table printed into a pipe


def _silent(_: str) -> None:
    pass


def _lines(out: Console) -> Callable[[str], None]:
    """What a command says as it goes: whole lines, never wrapped, never markup."""
    return lambda text: out.print(text, soft_wrap=True, markup=False, emoji=False, highlight=False)


def up(project: Project, names: list[str], choice: Choice, out: Console) -> None:
    _check_names(project, names)
    specs = service_specs(project, set(names or project.config.services))
    backend = backend_for(project, choice, out, list(specs.values()))
    session = ServiceSession(backend, specs, keep=True, say=_lines(out), root=project.root)
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
        table.add_row(live.name, f"{live.seconds_to_healthy:.1f}s", shown(exports))
    return table


def down(project: Project, choice: Choice, out: Console) -> None:
    removed = [name for backend in backends_for(project, choice) for name in backend.remove_kept()]
    out.print(
        f"removed {len(removed)} kept services" + (f": {', '.join(removed)}" if removed else "")
    )


def status(project: Project, choice: Choice, out: Console) -> None:
    specs = service_specs(project, set(project.config.services))
    table = Table("service", "backend", box=box.SIMPLE)
    for heading in ("instance", "state", "ports", "kept", "definition"):
        table.add_column(heading, overflow="fold")
    listed = [(b.name, i) for b in backends_for(project, choice) for i in b.project_instances()]
    for backend, instance in listed:
        spec = specs.get(instance.service)
        current = spec is not None and instance.labels.get(LABEL_HASH) == spec.definition_hash
        ports = ", ".join(f"127.0.0.1:{h}->{c}" for c, h in sorted(instance.ports.items()))
        kept = "yes" if instance.labels.get(LABEL_KEEP) else f"run {instance.labels.get(LABEL_RUN)}"
        table.add_row(
            instance.service,
            backend,
            instance.id,
            instance.state()[1],
            ports,
            kept,
            "current" if current else "changed since started",
        )
    if not table.row_count:
        out.print("no services of this project are running")
        return
    if not out.is_terminal:  # piped, a table is as wide as its rows: 80 would fold each id
        out.width = WIDE
    out.print(table)


def logs(project: Project, name: str, tail: int | None, choice: Choice, out: Console) -> None:
    _check_names(project, [name])
    backends = backends_for(project, choice)
    found = [i for b in backends for i in b.project_instances() if i.service == name]
    if not found:
        raise UsageError(f"service {name} is not running; 'netra-run services up {name}' starts it")
    redact = Redactor(service_specs(project, {name})[name].secrets)
    text = redact(_newest(found).logs(tail=tail))
    out.print(text, markup=False, emoji=False, highlight=False, end="", soft_wrap=True)


def _newest(instances: list[ServiceInstance]) -> ServiceInstance:
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
