"""What --list and --plan print."""

from __future__ import annotations

import shlex

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from netra_runner.config import Project
from netra_runner.plan import Job
from netra_runner.plugin.masking import MASK, Masker, is_secret_name
from netra_runner.reporting.text import shown


def category_table(project: Project) -> Table:
    table = Table(box=box.SIMPLE, title=f"categories in {project.file.name}", title_justify="left")
    for heading in ("name", "description", "services", "paths / command", "depends on"):
        table.add_column(heading)
    for name, cat in project.config.categories.items():
        what = ", ".join(cat.paths) if cat.paths else shlex.join(cat.command or ())
        cells = (name, cat.description, ", ".join(cat.services), what, ", ".join(cat.depends_on))
        table.add_row(*(shown(cell) for cell in cells))
    return table


def plan_view(jobs: list[Job], project: Project) -> RenderableType:
    runs = [job for job in jobs if job.skip is None]
    skips = [job for job in jobs if job.skip is not None]
    parts: list[RenderableType] = [Text(f"{len(runs)} to run, {len(skips)} skipped", style="bold")]
    for job in runs:
        gate = f"; after {', '.join(job.gates)} passes" if job.gates else ""
        services = f"; services: {', '.join(job.services)}" if job.services else ""
        parts.append(shown(f"run  {job.name} ({job.why}{gate}{services})"))
        parts.append(shown(f"     env: {environment_line(job, project)}", style="dim"))
        for line in _service_lines(job, project):
            parts.append(shown(f"     {line}", style="dim"))
        if job.python.named:
            parts.append(shown(f"     python: {job.python.shown}", style="dim"))
        parts.append(shown(f"     $ {shlex.join(_typed(job))}", style="dim"))
    for job in skips:
        parts.append(shown(f"skip {job.name}: {job.skip}", style="yellow"))
    return Group(*parts)


def _service_lines(job: Job, project: Project) -> list[str]:
    """Each service's set-up and isolation: what happens before the suite starts."""
    isolated = dict(job.isolated)
    lines = []
    for name in job.services:
        service = project.config.services.get(name)
        if service is None:
            continue
        said = [f"isolate: {isolated[name]} (a copy for each worker)"] if name in isolated else []
        said += [f"set-up: {shlex.join(argv)}" for argv in service.setup]
        if said:
            lines.append(f"service {name}: {'; '.join(said)}")
    lines += [f"set-up, in its folder: {shlex.join(argv)}" for argv in job.setup]
    return lines


def environment_line(job: Job, project: Project) -> str:
    """What the category is given beyond netra-run's own environment: its services' exports
    (names: their values exist once the services run) and its own env, secrets masked."""
    services = project.config.services
    exports = [key for name in job.services if name in services for key in services[name].exports]
    own = {  # what the category itself sets; an export of the same name wins over it
        k: v for k, v in project.config.categories[job.name].env.items() if k not in exports
    }
    mask = Masker(job.secrets)
    parts = []
    if exports:
        parts.append(f"exports {', '.join(dict.fromkeys(exports))}")
    if own:
        values = [f"{k}={MASK if is_secret_name(k) else mask(v)}" for k, v in own.items()]
        parts.append(f"own {' '.join(values)}")
    return "; ".join(parts) or "nothing beyond netra-run's environment"


def _typed(job: Job) -> list[str]:
    """The command as a person would type it, relative to the folder it runs in."""
    argv = list(job.argv)
    if job.is_pytest and not job.python.named:
        argv[: len(job.python.argv) + 2] = ["pytest"]  # python -m pytest
    return argv
