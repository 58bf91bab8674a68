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
from netra_runner.interpreters import of_category, probe
from netra_runner.reporting.text import shown
from netra_runner.services.spec import RunIdentity, service_specs


def doctor(cwd: Path, config: Path | None, profile: str | None, out: Console) -> int:
    try:
        project = load_project(find_config(cwd, config), profile)
    except NetraError as exc:
        _line(out, False, "config", str(exc))
        _machine(out)  # what this machine can do is worth knowing without a config too
        return ExitCode.USAGE
    _line(out, True, "config", f"{project.file} (profile: {project.profile or 'none'})")
    runnable = _interpreters(project, out)
    docker = _docker(project, out)
    local = _local(project, out)
    if docker is None:
        chosen, usable = "local processes (no Docker engine answers)", local
    elif not docker and local:
        chosen, usable = "local processes, unless the engine can pull the images it lacks", local
    else:
        chosen, usable = "docker (an engine answers)", docker
    out.print(f"--services auto uses {chosen}", soft_wrap=True)
    if not runnable:
        return ExitCode.USAGE  # what a run would exit with
    return ExitCode.OK if usable else ExitCode.SERVICES


def _interpreters(project: Project, out: Console) -> bool:
    """Which Python runs each pytest category, and whether it has what the run needs."""
    fit = True
    defaults = project.config.defaults
    for name, category in project.config.categories.items():
        if not category.is_pytest:
            continue
        python = of_category(category, defaults, project.root)
        facts = probe(python.argv)
        problem = facts.unfit()
        fit = fit and problem is None
        if problem:
            _line(out, False, f"python for {name}", f"{python.shown}: {problem}")
            continue
        setting = category.workers if category.workers is not None else defaults.workers
        version = ".".join(map(str, facts.python))
        has = f"Python {version}, pytest {facts.pytest}"
        has += f", pytest-xdist {facts.xdist}" if facts.xdist else ", no pytest-xdist"
        without_workers = facts.xdist is None and setting != 1
        detail = f"{python.shown}: {has}"
        if without_workers:
            detail += "; it runs in one process (workers need pytest-xdist)"
        _line(out, None if without_workers else True, f"python for {name}", detail)
    return fit


def _docker(project: Project, out: Console) -> bool | None:
    """None without an engine, else whether every image is there."""
    from netra_runner.services.docker_backend import connect, image_hint, image_present

    try:
        client = connect()
    except NetraError as exc:
        _line(out, False, "docker", str(exc))
        return None
    _line(out, True, "docker", f"engine {client.version().get('Version', '?')} answers")
    missing = []
    for name, service in project.config.services.items():
        if service.external is not None:  # someone else runs it: no image to have
            _line(out, True, f"service {name}", "external: health-checked, never started here")
            continue
        present = image_present(client, service.image)
        missing += [] if present else [service.image]
        if present:
            _line(out, True, f"image {service.image}", f"for {name}")
        elif _runs_locally(project, name):
            # auto runs it as a local process: it works, not as configured
            _line(out, None, f"image {service.image}", "not present: auto runs it locally")
        else:
            _line(out, False, f"image {service.image}", "not present")
    if missing:
        out.print(
            f"hint: {image_hint(missing[0])}; a run pulls missing images where a registry answers",
            soft_wrap=True,
        )
    return not missing


def _runs_locally(project: Project, name: str) -> bool:
    from netra_runner.services.local.backend import LocalBackend

    identity = RunIdentity.new(project.file, os.getpid(), psutil.Process().create_time())
    specs = service_specs(project, {name})
    return LocalBackend(identity, project.root).can_run(list(specs.values()))


def _local(project: Project, out: Console) -> bool:
    """Whether every service can run as local processes."""
    from netra_runner.services.local.backend import LocalBackend

    identity = RunIdentity.new(project.file, os.getpid(), psutil.Process().create_time())
    backend = LocalBackend(identity, project.root)
    own = {n for n, s in project.config.services.items() if s.external is None}
    specs = service_specs(project, own)
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


def _machine(out: Console) -> None:
    """The engine, and the server binaries the local backend finds, config or not."""
    from netra_runner.services.docker_backend import connect
    from netra_runner.services.local.binaries import find_install
    from netra_runner.services.local.recipes import POSTGRES, REDIS

    try:
        client = connect()
    except NetraError as exc:
        _line(out, False, "docker", str(exc))
    else:
        _line(out, True, "docker", f"engine {client.version().get('Version', '?')} answers")
        client.close()
    for needs in (POSTGRES, REDIS):
        try:
            install = find_install(needs, None, "local.bin")
        except NetraError as exc:
            _line(out, False, f"local {needs.server}", str(exc))
        else:
            version = install.version(needs.tools[-1])
            _line(
                out,
                True,
                f"local {needs.server}",
                f"{version} from {install.bin} ({install.source})",
            )


def _line(out: Console, ok: bool | None, what: str, detail: str) -> None:
    """ok None: works, not as configured."""
    mark = (
        Text("warn", style="yellow")
        if ok is None
        else Text("ok  " if ok else "FAIL", style="green" if ok else "red")
    )
    out.print(mark, shown(f"{what}: {detail}"), soft_wrap=True)
