"""`netra-run doctor`: is the config valid, does an engine answer, are the images there?"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.text import Text

from netra_runner.config import Project, find_config, load_project
from netra_runner.errors import ExitCode, NetraError
from netra_runner.services.docker_backend import OFFLINE_HINT, connect, image_present


def doctor(cwd: Path, config: Path | None, profile: str | None, out: Console) -> int:
    try:
        project = load_project(find_config(cwd, config), profile)
    except NetraError as exc:
        _line(out, False, "config", str(exc))
        return ExitCode.USAGE
    _line(out, True, "config", f"{project.file} (profile: {project.profile or 'none'})")
    try:
        client = connect()
    except NetraError as exc:
        _line(out, False, "docker", str(exc))
        return ExitCode.SERVICES
    _line(out, True, "docker", f"engine {client.version().get('Version', '?')} answers")
    return _images(project, client, out)


def _images(project: Project, client: object, out: Console) -> int:
    missing = 0
    for name, service in project.config.services.items():
        present = image_present(client, service.image)
        missing += not present
        _line(out, present, f"image {service.image}", f"for {name}" if present else "not present")
    if missing:
        out.print(f"hint: {OFFLINE_HINT}; a run pulls missing images where a registry answers")
        return ExitCode.SERVICES
    return ExitCode.OK


def _line(out: Console, ok: bool, what: str, detail: str) -> None:
    mark = Text("ok  " if ok else "FAIL", style="green" if ok else "red")
    out.print(mark, Text(f"{what}: {detail}"), soft_wrap=True)
