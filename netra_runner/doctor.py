"""`netra-run doctor`: is the config valid, and can each backend run the services?

Both backends are checked: Docker (does an engine answer, are the images there) and local
processes (are the binaries there); the last line says which one `--services auto` takes.
"""

from __future__ import annotations

import os
from pathlib import Path

import psutil
from rich.console import Console
from rich.text import Text

from netra_runner.config import Project, find_config, load_project
from netra_runner.errors import ExitCode, NetraError
from netra_runner.reporting.text import shown
from netra_runner.services.spec import RunIdentity, service_specs


def doctor(cwd: Path, config: Path | None, profile: str | None, out: Console) -> int:
    try:
        project = load_project(find_config(cwd, config), profile)
    except NetraError as exc:
        _line(out, False, "config", str(exc))
        return ExitCode.USAGE
    _line(out, True, "config", f"{project.file} (profile: {project.profile or 'none'})")
    docker = _docker(project, out)
    local = _local(project, out)
    if docker is not None:
        chosen, usable = "docker (an engine answers)", docker
    else:
        chosen, usable = "local processes (no Docker engine answers)", local
    out.print(f"--services auto uses {chosen}", soft_wrap=True)
    return ExitCode.OK if usable else ExitCode.SERVICES


def _docker(project: Project, out: Console) -> bool | None:
    """None without an engine, else whether every image is there."""
    from netra_runner.services.docker_backend import OFFLINE_HINT, connect, image_present

    try:
        client = connect()
    except NetraError as exc:
        _line(out, False, "docker", str(exc))
        return None
    _line(out, True, "docker", f"engine {client.version().get('Version', '?')} answers")
    missing = 0
    for name, service in project.config.services.items():
        present = image_present(client, service.image)
        missing += not present
        _line(out, present, f"image {service.image}", f"for {name}" if present else "not present")
    if missing:
        out.print(f"hint: {OFFLINE_HINT}; a run pulls missing images where a registry answers")
    return not missing


def _local(project: Project, out: Console) -> bool:
    """Whether every service can run as local processes."""
    from netra_runner.services.local.backend import LocalBackend

    identity = RunIdentity.new(project.file, os.getpid(), psutil.Process().create_time())
    backend = LocalBackend(identity, project.root)
    specs = service_specs(project, set(project.config.services))
    usable = True
    for name, spec in sorted(specs.items()):
        try:
            runs = backend.prepare(spec, out.print)
        except NetraError as exc:
            usable = False
            _line(out, False, f"local {name}", str(exc))
        else:
            _line(out, True, f"local {name}", runs)
    return usable


def _line(out: Console, ok: bool, what: str, detail: str) -> None:
    mark = Text("ok  " if ok else "FAIL", style="green" if ok else "red")
    out.print(mark, shown(f"{what}: {detail}"), soft_wrap=True)
