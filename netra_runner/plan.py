"""Turn the selection into jobs: the exact command, folder, environment and report paths."""

from __future__ import annotations

import dataclasses
import os
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from netra_runner.config import Category, Project
from netra_runner.config.checks import render_args
from netra_runner.config.dotenv_files import dotenv_files
from netra_runner.context import RunContext
from netra_runner.errors import UsageError
from netra_runner.execution.worker_budget import budget, category_workers
from netra_runner.interpreters import Interpreter, of_category, own, probe
from netra_runner.interpreters import environment as interpreter_env
from netra_runner.options import RunOptions
from netra_runner.plugin import agreement as agreed
from netra_runner.plugin.coverage import VARIABLE as COVERAGE_VARIABLE
from netra_runner.plugin.masking import secrets_in
from netra_runner.selection.categories import Selected
from netra_runner.services.isolation import copy_exports

# Variables a parent sets for itself (pytest's, or a netra-run this one runs inside, for
# its own suite); a child suite inheriting them gets confused, or another suite's copies.
_PARENT_ONLY = (
    "PYTEST_CURRENT_TEST",
    "PYTEST_XDIST_WORKER",
    "PYTEST_XDIST_WORKER_COUNT",
    agreed.WORKER_ENV,
    agreed.GATE,
    agreed.GATE_FILE,
    agreed.HEALTH,
    COVERAGE_VARIABLE,  # an outer run's --cov is its own: this run's suites get their own
)


PLUGIN = "netra_runner.plugin.main"
END_OF_OPTIONS = "--"  # the category's paths follow it: no option can take one as its value
XDIST_OPTIONS = ("--numprocesses", "--dist", "-d", "--tx", "--maxprocesses", "--max-worker-restart")
MAX_WORKER_RESTARTS = 4
MAX_INLINE_TARGETS = 50
COVERAGE_FOLDER = "coverage"


@dataclass(frozen=True)
class Job:
    name: str
    argv: tuple[str, ...]
    cwd: Path
    env: dict[str, str]
    report_dir: Path  # reports/categories/<name>/: the suite's own junit, events and output
    junit_source: Path | None  # where the suite writes its JUnit; None: judge by exit code
    why: str
    gates: tuple[str, ...]
    services: tuple[str, ...]
    skip: str | None
    workers: int = 1
    ceiling: float = 3600.0  # seconds for the whole category
    targets: tuple[str, ...] = ()  # the end of argv: what pytest is asked to run
    secrets: tuple[str, ...] = ()  # values of the category's secret-looking env
    python: Interpreter = field(default_factory=own)
    notes: tuple[str, ...] = ()  # what was changed from the config, and why
    args_span: tuple[int, int] = (0, 0)  # where the category's own `args` are in argv
    setup: tuple[tuple[str, ...], ...] = ()  # the category's set-up commands, run first
    isolated: tuple[tuple[str, str], ...] = ()  # (service, worker or instance): a copy each
    slices: int = 0  # > 1: that many pytest processes, each its own share (no xdist)
    worker: str = "main"  # a share's worker name (gw0, ...), as its events give it
    coverage_file: Path | None = None  # a command suite's own coverage.py data (--cov)
    pytest: bool = False  # a pytest suite (with netra-run's plugin), not a command
    folder: str = ""  # a pytest suite's own folder (its `cwd`), from the project root
    # Files its command names (ids to run first, a long target list), written when it is
    # prepared to run: planning (--plan) writes nothing.
    inputs: tuple[tuple[Path, tuple[str, ...]], ...] = ()
    log_file: Path | None = None  # None: output.log in report_dir

    @property
    def coverage_folder(self) -> Path:
        """Where --cov's data files of its processes go (plugin/coverage.py)."""
        return self.report_dir / COVERAGE_FOLDER

    @property
    def output_log(self) -> Path:
        return self.log_file or self.report_dir / "output.log"

    @property
    def events_file(self) -> Path:
        return self.report_dir / "events.ndjson"

    @property
    def is_pytest(self) -> bool:
        return self.pytest

    def rendered(self, exports: Mapping[str, str]) -> Job:
        """This job with its category's `args` ({NAME}) filled from its services' exports;
        nothing else in the command is touched (a test id may hold braces)."""
        start, end = self.args_span
        if start == end:
            return self
        filled = render_args(self.argv[start:end], exports)
        return dataclasses.replace(self, argv=(*self.argv[:start], *filled, *self.argv[end:]))

    def restart_argv(self, nodeids: list[str]) -> tuple[str, ...]:
        """The same command for only these tests (after a crash); ids go in an @file.
        A share's restart runs them all: they are its share already."""
        args = self.report_dir / "restart-args.txt"
        _write_lines(args, nodeids)
        kept = self.argv[: len(self.argv) - len(self.targets)]
        kept = tuple(a for a in kept if not (agreed.SLICE.given(a) or agreed.CLAIMS.given(a)))
        return (*kept, END_OF_OPTIONS, f"@{args}")

    @property
    def event_files(self) -> tuple[Path, ...]:
        """Every event file its processes write: one per share of a sliced category."""
        return tuple(s.events_file for s in self.shares()) if self.slices else (self.events_file,)

    def shares(self) -> list[Job]:
        """A sliced category's processes, each a job of its own (its report folder, its
        command) under the category's name. They cut their shares from the history copy
        in `history_copy`, so a history written meanwhile cannot move a test between them."""
        return [self._share(k) for k in range(1, self.slices + 1)]

    def _share(self, index: int) -> Job:
        folder = self.report_dir / "shares" / f"gw{index - 1}"
        own = {
            agreed.DURATIONS: agreed.DURATIONS(self.history_copy),
            agreed.EVENTS: agreed.EVENTS(folder / "events.ndjson"),
        }
        argv = [next((v for k, v in own.items() if k.given(a)), a) for a in self.argv]
        end = len(argv) - len(self.targets)
        # Its JUnit is read only to know its session finished: events alone can be forged.
        own_args = (
            f"--junitxml={folder / 'junit.xml'}",
            "-o",  # as the category's own JUnit: record_property needs it
            "junit_family=xunit1",
            # a conftest's config.cache state is its worker's, as it is each process's
            "-o",
            f"cache_dir={folder / '.pytest_cache'}",
            agreed.SLICE(f"{index}/{self.slices}"),
            agreed.CLAIMS(self.report_dir / "claims"),  # work handed out as it goes
        )
        return dataclasses.replace(
            self,
            argv=(*argv[:end], *own_args, *argv[end:]),
            report_dir=folder,
            junit_source=folder / "junit.xml",  # a proof of a finished session, not its report
            slices=0,
            worker=f"gw{index - 1}",
        )

    def private_to(self, folder: Path) -> Job:
        """A share whose counter of units, proof of a finished session (its JUnit) and
        output are in `folder`, out of its tests' reach: a test of another share deleting
        the reports folder must neither restart the handing out, nor unmake a finished
        session, nor lose what a finished share printed."""
        junit = folder / self.worker / "junit.xml"

        def own(word: str) -> str:
            if agreed.CLAIMS.given(word):
                return agreed.CLAIMS(folder / "claims")
            return f"--junitxml={junit}" if word.startswith("--junitxml=") else word

        argv = tuple(own(a) for a in self.argv)
        log = folder / self.worker / "output.log"
        return dataclasses.replace(self, argv=argv, junit_source=junit, log_file=log)

    @property
    def history_copy(self) -> Path:
        return self.report_dir / "durations.json"


def make_jobs(context: RunContext, entries: tuple[Selected, ...]) -> list[Job]:
    options = context.options
    failed = context.last.failed if options.failed_first else {}
    limit = budget(options.workers)
    return [
        _job(
            context,
            entry,
            context.reports / "categories" / entry.name,
            limit,
            failed.get(entry.name, []),
        )
        for entry in entries
    ]


def _job(
    context: RunContext, entry: Selected, report_dir: Path, limit: int, first: list[str]
) -> Job:
    project, history = context.project, context.durations
    category, defaults = entry.category, project.config.defaults
    own = own_env(project, category)  # its env_file read once, for all three uses
    env = environment(project, entry, own)
    if context.coverage is not None and category.is_pytest:
        folder = suite_folder(project, category)
        env[COVERAGE_VARIABLE] = context.coverage.spec(
            report_dir / COVERAGE_FOLDER, entry.name, folder
        )
    junit: Path | None
    workers = 1
    span = (0, 0)
    python = interpreter(project, entry)
    notes: tuple[str, ...] = ()
    slices = 0
    inputs: tuple[tuple[Path, tuple[str, ...]], ...] = ()
    if category.command is None:
        workers = category_workers(category, defaults, limit, history)
        workers, notes = _fit(project, entry, python, workers)
        notes += _shadowed(project, entry, own)
        slices = workers if sliceable(category, context.options, workers) else 0
        argv, span, inputs = _pytest_argv(
            context, entry, report_dir, workers, first, sliced=bool(slices)
        )
        cwd, junit = suite_folder(project, category), report_dir / "junit.xml"
    else:
        argv = category.command
        cwd = project.root / (category.cwd or ".")
        junit = project.root / category.junit if category.junit else None
    return Job(
        name=entry.name,
        argv=argv,
        cwd=cwd,
        env=env,
        report_dir=report_dir,
        junit_source=junit,
        why=entry.why,
        gates=entry.gates,
        services=category.services,
        skip=entry.skip,
        workers=workers,
        ceiling=_first(category.category_timeout, defaults.category_timeout),
        targets=suite_targets(project, entry, report_dir)[0] if category.command is None else (),
        secrets=tuple(secrets_in(own)),
        python=python,
        notes=notes,
        args_span=span,
        setup=category.setup,
        isolated=isolated_services(project, entry),
        slices=slices,
        coverage_file=_coverage_file(context, entry),
        pytest=category.command is None,
        inputs=inputs,
        folder=category.cwd or "" if category.command is None else "",
    )


def _coverage_file(context: RunContext, entry: Selected) -> Path | None:
    declared = entry.category.coverage
    if context.coverage is None or declared is None:
        return None
    return context.project.root / declared  # as `junit`: from the project root


def isolated_services(project: Project, entry: Selected) -> tuple[tuple[str, str], ...]:
    """A category's `isolate` (worker, instance, none) over each of its services' own."""
    chosen = entry.category.isolate
    services = project.config.services
    modes = [(name, chosen or services[name].isolate) for name in entry.category.services]
    for name, mode in modes:
        if mode == "worker" and not copy_exports(services[name]):
            where = ("services", name, "exports")
            raise UsageError(
                f"{project.where(where)}: isolate: worker, but no export of service {name} "
                "names a worker's copy (a URL, a dbname=, the database's name alone, "
                "or {worker}): each worker's copy could never reach the suite"
            )
    return tuple((name, mode) for name, mode in modes if mode in ("worker", "instance"))


def interpreter(project: Project, entry: Selected) -> Interpreter:
    return of_category(entry.category, project.config.defaults, project.root)


def _fit(
    project: Project, entry: Selected, python: Interpreter, workers: int
) -> tuple[int, tuple[str, ...]]:
    """A named interpreter must hold pytest (else nothing can run: exit 2, naming the line
    that names it), and xdist for workers (else the category runs in one process, and says so)."""
    if not python.named:
        return workers, ()
    facts = probe(python.argv)
    unfit = facts.unfit()
    name = entry.name
    if unfit:
        key = ("categories", name, "python") if entry.category.python else ("defaults", "python")
        raise UsageError(f"{project.where(key)}: cannot run in {python.shown}: {unfit}")
    if workers > 1 and facts.xdist is None:
        note = f"{name}: {python.shown} has no pytest-xdist; it runs in one process"
        return 1, (note,)
    return workers, ()


def _first(*values: float | None) -> float:
    return next(v for v in values if v is not None)


def _seconds(*values: float | str | None) -> float:
    """The first timeout given; 0 for 'none' (netra-run's own per-test timer off)."""
    chosen = next(v for v in values if v is not None)
    return 0.0 if chosen == "none" else float(chosen)


def _pytest_argv(
    context: RunContext,
    entry: Selected,
    report_dir: Path,
    workers: int,
    first: list[str],
    sliced: bool = False,
) -> tuple[tuple[str, ...], tuple[int, int], tuple[tuple[Path, tuple[str, ...]], ...]]:
    """A sliced category's shares write no JUnit of their own (one path for all of them):
    their events are their report."""
    project, options = context.project, context.options
    category, defaults = entry.category, project.config.defaults
    timeout = _seconds(options.timeout, category.timeout, defaults.timeout)
    retries = int(_first(options.retries, category.retries, defaults.retries))
    argv = [*interpreter(project, entry).argv, "-m", "pytest", "-p", PLUGIN]
    if not sliced:
        argv += [f"--junitxml={report_dir / 'junit.xml'}"]
    argv += [agreed.EVENTS(report_dir / "events.ndjson"), agreed.TIMEOUT(f"{timeout:g}")]
    argv += [agreed.RETRIES(retries), agreed.DURATIONS(context.history_file)]
    if not sliced:
        # xunit1 keeps file and line per test; output is kept for failing tests only.
        argv += ["-o", "junit_family=xunit1", "-o", "junit_logging=all"]
        argv += ["-o", "junit_log_passing_tests=false", "-o", f"junit_suite_name={entry.name}"]
    # One broken file must not hide every other test of the category.
    argv += ["--continue-on-collection-errors", "--tb=short", "-q"]
    argv += narrowing_args(entry, options)
    if workers > 1 and not sliced:
        if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
            argv += ["-p", "xdist.plugin"]  # with autoload on, loading it again is an error
        argv += ["-n", str(workers), f"--max-worker-restart={MAX_WORKER_RESTARTS}"]
        flags = interpreter(project, entry).argv[1:]
        if flags:
            argv += [agreed.FLAGS(shlex.join(flags))]
    if options.stop_after is not None:
        argv += [f"--maxfail={options.stop_after}"]
    # The category's own (filled in when its services run), then the command line's:
    # pytest lets a later option win.
    span = (len(argv), len(argv) + len(category.args))
    argv += [*category.args, *options.pytest_args]
    inputs: dict[Path, tuple[str, ...]] = {}
    if first:
        inputs[report_dir / "first.txt"] = tuple(first)
        argv += [agreed.FIRST(report_dir / "first.txt")]
    if entry.only:
        inputs[report_dir / "only.txt"] = entry.only
        argv += [agreed.ONLY(report_dir / "only.txt")]
    if category.cwd:
        argv += [agreed.ROOT(project.root)]
    targets, listing = suite_targets(project, entry, report_dir)
    inputs |= listing
    return (*argv, *targets), span, tuple(inputs.items())  # targets last: see restart


def sliceable(category: Category, options: RunOptions, workers: int) -> bool:
    """Whether its workers are netra-run's own processes, claiming work as they go
    (plugin/claims.py), cold or warm, with or without services: unless something asks
    for xdist itself."""
    if workers < 2 or options.xdist:
        return False
    args = [*category.args, *options.pytest_args]
    return not any(a.split("=")[0] in XDIST_OPTIONS or a.startswith("-n") for a in args)


def narrowing_args(entry: Selected, options: RunOptions) -> list[str]:
    args = []
    markers = _and(entry.category.markers, options.markers)
    if markers:
        args += ["-m", markers]
    if options.keyword:
        args += ["-k", options.keyword]
    return args


def _shadowed(project: Project, entry: Selected, own: dict[str, str]) -> tuple[str, ...]:
    """A category's own variables that one of its services exports too: the exports win
    (they name the instance this run started, or the worker's copy), and that is said."""
    said = []
    for name in entry.category.services:
        service = project.config.services.get(name)
        both = sorted(set(service.exports) & set(own)) if service else []
        if both:
            said.append(
                f"{entry.name}: {', '.join(both)} set by the category and exported by service "
                f"{name}: the exports win (they name the service this run started)"
            )
    return tuple(said)


def own_env(project: Project, category: Category) -> dict[str, str]:
    """What the category itself sets: its env_file, then its env over it."""
    return {**dotenv_files(project.root, category.env_file), **category.env}


def suite_folder(project: Project, category: Category) -> Path:
    """Where a suite runs: its `cwd` (a pytest suite in a subfolder finds its own rootdir,
    configuration and relative paths there), else the project root."""
    return project.root / (category.cwd or ".")


def suite_targets(
    project: Project, entry: Selected, folder: Path
) -> tuple[tuple[str, ...], dict[Path, tuple[str, ...]]]:
    """The entry's targets (named from the project root) as its suite, in its folder,
    takes them; and the file holding them, when there are many."""
    base = suite_folder(project, entry.category)
    spelled = tuple(_from_folder(target, project.root, base) for target in entry.targets)
    return target_args(spelled, folder)


def _from_folder(target: str, root: Path, folder: Path) -> str:
    if folder == root:
        return target
    path, sep, rest = target.partition("::")
    return f"{os.path.relpath(root / path, folder)}{sep}{rest}"


def target_args(
    targets: tuple[str, ...], folder: Path
) -> tuple[tuple[str, ...], dict[Path, tuple[str, ...]]]:
    """Many test ids (a shard, last failures) go through an args file (returned, to be
    written before the command runs), not the command line. They follow `--`, so an option
    before them that takes a value (`--deselect`, `--rootdir` given after netra-run's `--`)
    is pytest's usage error, never a path swallowed."""
    if len(targets) <= MAX_INLINE_TARGETS:
        return (END_OF_OPTIONS, *targets), {}
    listing = folder / "targets.txt"
    return (END_OF_OPTIONS, f"@{listing}"), {listing: targets}


def write_inputs(inputs: Iterable[tuple[Path, tuple[str, ...]]]) -> None:
    """The files a command names, written just before it runs."""
    for path, lines in inputs:
        _write_lines(path, lines)


def _write_lines(path: Path, lines: Iterable[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def _and(*expressions: str | None) -> str | None:
    present = [e for e in expressions if e]
    if len(present) <= 1:
        return present[0] if present else None
    return " and ".join(f"({e})" for e in present)


def environment(
    project: Project, entry: Selected, own: dict[str, str] | None = None
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _PARENT_ONLY}
    # The project root on the path, so tests import the project however pytest roots itself.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(project.root), env.get("PYTHONPATH")) if p)
    env["NETRA_CATEGORY"] = entry.name
    env.update(own_env(project, entry.category) if own is None else own)
    return interpreter_env(interpreter(project, entry), env)
