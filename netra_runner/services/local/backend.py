"""The local backend: services as processes on this machine, for machines without Docker.

Same contract as the Docker backend: every instance carries its run's labels (in its
folder's record), the next run reaps a dead run's instances by them, kept ones are reused
when their definition is unchanged, and removing one stops its whole process tree and
deletes its folder.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from netra_runner.errors import NetraError, ServiceError
from netra_runner.services.backend import ServiceInstance
from netra_runner.services.health import Instance, Probe, probe_for, run_check
from netra_runner.services.local import processes, templates
from netra_runner.services.local.binaries import reachable_for
from netra_runner.services.local.processes import Account
from netra_runner.services.local.recipes import HOST, Place, Recipe, client_found, recipe_for
from netra_runner.services.local.state import (
    HOME,
    LOG,
    Record,
    instance_folders,
    project_folder,
    remove_folder,
    state_root,
)
from netra_runner.services.local.state import tail as read_tail
from netra_runner.services.spec import (
    LABEL_HASH,
    LABEL_KEEP,
    LABEL_SERVICE,
    RunIdentity,
    ServiceSpec,
    orphaned,
)

UNRECORDED_GRACE = 60.0  # a folder with no record yet may be a run writing its first one


class LocalInstance:
    """One service's processes, as health probes and the run see them."""

    def __init__(
        self,
        folder: Path,
        record: Record,
        reused: bool,
        recipe: Recipe | None = None,
        process: subprocess.Popen[bytes] | None = None,
    ) -> None:
        self.folder = folder
        self.record = record
        self.service = record.service
        self.reused = reused
        self.host = HOST
        self.ports = dict(record.ports)
        self._recipe = recipe
        self._process = process  # ours to wait for: set when this run started it

    @property
    def id(self) -> str:
        return self.folder.name

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.record.labels)

    @property
    def place(self) -> Place:
        return Place(self.folder / HOME, self.ports)

    def exec(self, argv: tuple[str, ...]) -> tuple[int, str]:
        """An exec health check, run on this machine against this instance's port."""
        if self._recipe is None:
            return 127, "no recipe: this instance was only listed"
        command = self._recipe.exec_argv(argv, self.place)
        env = self._recipe.exec_env(self.place)
        return run_check(command, env, self._recipe.cwd(self.place))

    def logs(self, tail: int | None = None) -> str:
        return read_tail(self.folder / LOG, tail)

    def state(self) -> tuple[bool, str]:
        if self._process is not None:
            code = self._process.poll()
            if code is not None:
                return False, _exit_text(code)
        pid, started = self.record.pid, self.record.pid_started
        if pid is None or started is None:
            return False, "not started"
        if processes.running(pid, started):
            return True, "running"
        return False, "exited"

    def engine_health(self) -> str | None:
        return None


def _exit_text(code: int) -> str:
    if code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exited with code {code}"


@dataclass(frozen=True)
class _Steps:
    """Set-up steps run as the server's account, their output in the service log."""

    home: Path
    env: dict[str, str]
    log: Path
    account: Account | None

    def run(self, argv: list[str], stdin: str | None = None) -> None:
        processes.run_step(
            argv, cwd=self.home, env=self.env, log=self.log, account=self.account, stdin=stdin
        )

    def write(self, path: Path, text: str) -> None:
        path.write_text(text, encoding="utf-8")
        path.chmod(0o600)
        if self.account is not None:
            os.chown(path, self.account.uid, self.account.gid)

    def restore(self, template: Path, target: Path) -> None:
        with self.log.open("a", encoding="utf-8") as out:
            out.write(f"copying the cluster made earlier with these settings: {template}\n")
        owner = None if self.account is None else (self.account.uid, self.account.gid)
        templates.restore(template, target, owner)


@dataclass(frozen=True)
class _Described:
    """A probe standing in for an exec check whose client is not installed here."""

    inner: Probe
    note: str

    @property
    def description(self) -> str:
        return f"{self.inner.description} ({self.note})"

    def check(self, instance: Instance) -> tuple[bool, str]:
        return self.inner.check(instance)


class LocalBackend:
    name = "local"

    def __init__(self, identity: RunIdentity, project_root: Path) -> None:
        self.identity = identity
        self.project_root = project_root
        self.folder = state_root() / identity.project_id  # made by the first start
        self._recipes: dict[str, Recipe] = {}
        self._lock = threading.Lock()

    def prepare(self, spec: ServiceSpec, say: Callable[[str], None]) -> str:
        check = spec.service.healthcheck
        if check is not None and check.docker:
            raise ServiceError(
                f"services.{spec.name}.healthcheck.docker asks for the image's HEALTHCHECK, "
                "which only Docker runs; give it an exec, tcp, http or log check to run locally"
            )
        recipe = self._recipe(spec)
        account = processes.service_account() if recipe.unprivileged else None
        if recipe.install is not None:
            recipe.install = reachable_for(recipe.install, account, state_root())
        return recipe.runs

    def can_run(self, specs: Collection[ServiceSpec]) -> bool:
        """Whether every one of these services has a recipe and its binaries here."""
        try:
            for spec in specs:
                self.prepare(spec, _quiet)
        except NetraError:
            return False
        return True

    def probe(self, spec: ServiceSpec, instance: ServiceInstance) -> tuple[Probe, float, float]:
        probe, interval, timeout = probe_for(spec.service)
        recipe = self._recipe(spec)
        assert isinstance(instance, LocalInstance)
        builtin = recipe.fallback_probe(instance.place)
        check = spec.service.healthcheck
        if builtin is not None and check is None:
            return builtin, interval, timeout
        if builtin is not None and check is not None and check.exec is not None:
            argv = recipe.exec_argv(check.exec, instance.place)
            if not client_found(tuple(argv), recipe.exec_env(instance.place)):
                return _Described(builtin, f"{argv[0]} is not installed here"), interval, timeout
        return probe, interval, timeout

    def start(self, spec: ServiceSpec, keep: bool, env: dict[str, str]) -> LocalInstance:
        recipe = self._recipe(spec)
        account = processes.service_account() if recipe.unprivileged else None
        folder = self.folder / self._name(spec.name, keep)
        if keep:  # a kept one that reusable() turned down
            self._destroy(folder)
        ports, held = self._reserve(spec, recipe)
        self._make(folder)
        home = folder / HOME
        home.mkdir(mode=0o700)
        if account is not None:
            os.chown(home, account.uid, account.gid)
        place = Place(home, ports)
        labels = {**self.identity.labels(spec.definition_hash, keep), LABEL_SERVICE: spec.name}
        record = Record(
            spec.name, labels, place.ports, recipe.runs, stop_signal=recipe.stop_signal.name
        )
        record.save(folder)
        # What the server prints may hold a password: for its owner's eyes only.
        os.close(os.open(folder / LOG, os.O_WRONLY | os.O_CREAT, 0o600))
        server_env = recipe.env(place, env)
        try:
            recipe.set_up(place, _Steps(home, server_env, folder / LOG, account))
            _release(held)  # only now: the ports stay ours through initdb
            process = processes.spawn(
                recipe.argv(place),
                cwd=recipe.cwd(place),
                env=server_env,
                log=folder / LOG,
                account=account,
            )
        except ServiceError as exc:
            self._destroy(folder)
            raise ServiceError(f"service {spec.name} could not start: {exc}") from None
        except BaseException:  # Ctrl-C during initdb, say: the run never saw this instance
            self._destroy(folder)
            raise
        finally:
            _release(held)
        started = processes.started_at(process.pid)
        record = dataclasses.replace(record, pid=process.pid, pid_started=started)
        record.save(folder)
        return LocalInstance(folder, record, reused=False, recipe=recipe, process=process)

    def reusable(self, spec: ServiceSpec) -> LocalInstance | None:
        folder = self.folder / self._name(spec.name, keep=True)
        record = Record.load(folder)
        if record is None:
            return None
        pid, started = record.pid, record.pid_started
        alive = pid is not None and started is not None and processes.running(pid, started)
        if alive and record.labels.get(LABEL_HASH) == spec.definition_hash:
            return LocalInstance(folder, record, reused=True, recipe=self._recipe(spec))
        self._destroy(folder)  # a changed definition, or a dead one: recreate it
        return None

    def remove(self, instance: ServiceInstance) -> None:
        assert isinstance(instance, LocalInstance)
        self._destroy(instance.folder)
        process = instance._process
        if process is not None:  # our own child: reaped here, never left running
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def close(self, keep: bool) -> None:
        """Nothing is shared between a run's services; the project's folder goes when empty."""
        for folder in (self.folder, self.folder.parent):
            with contextlib.suppress(OSError):  # not empty: another run's, or kept services
                folder.rmdir()

    def project_instances(self) -> list[ServiceInstance]:
        return [
            LocalInstance(folder, record, reused=record.labels.get(LABEL_KEEP) == "true")
            for folder, record in self._records()
        ]

    def kept(self) -> list[ServiceInstance]:
        return [i for i in self.project_instances() if i.reused]

    def remove_kept(self) -> list[str]:
        removed = []
        for instance in self.kept():
            self.remove(instance)
            removed.append(instance.id)
        self.close(keep=False)
        return removed

    def reap_orphans(self) -> list[str]:
        """Stop and remove what this project's dead runs left; nothing else is touched."""
        reaped = []
        for folder in instance_folders(self.folder):
            record = Record.load(folder)
            if record is None:
                with contextlib.suppress(FileNotFoundError):  # removed by another run
                    if time.time() - folder.stat().st_mtime > UNRECORDED_GRACE:
                        remove_folder(folder)
                continue
            if orphaned(record.labels):
                self._destroy(folder)
                reaped.append(folder.name)
        return reaped

    def _make(self, folder: Path) -> None:
        # Another run's close() removes the project's folder when it finds it empty.
        for _ in range(3):
            project_folder(self.identity.project_id)
            with contextlib.suppress(FileNotFoundError):
                folder.mkdir(mode=0o711)
                return
        folder.mkdir(mode=0o711)

    def _records(self) -> Iterator[tuple[Path, Record]]:
        for folder in instance_folders(self.folder):
            record = Record.load(folder)
            if record is not None:
                yield folder, record

    def _destroy(self, folder: Path) -> None:
        record = Record.load(folder)
        if record is not None and record.pid is not None and record.pid_started is not None:
            processes.stop(record.pid, record.pid_started, signal.Signals[record.stop_signal])
        remove_folder(folder)

    def _recipe(self, spec: ServiceSpec) -> Recipe:
        with self._lock:
            if spec.name not in self._recipes:
                self._recipes[spec.name] = recipe_for(spec, self.project_root)
            return self._recipes[spec.name]

    def _name(self, service: str, keep: bool) -> str:
        ident = self.identity
        return (
            f"netra-keep-{ident.project_id}-{service}"
            if keep
            else f"netra-{ident.run_id}-{service}"
        )

    def _reserve(
        self, spec: ServiceSpec, recipe: Recipe
    ) -> tuple[dict[int, int], list[socket.socket]]:
        """A port on 127.0.0.1 for each of the service's ports (the pinned one, else a free
        one), each held by a bound socket until the server is about to start, so a concurrent
        run cannot be handed it in the meantime."""
        pinned = {p.container: p.host for p in spec.service.ports if p.host}
        ports, held = {}, []
        try:
            for container in recipe.ports():
                holder = socket.socket()
                held.append(holder)
                try:
                    holder.bind((HOST, pinned.get(container) or 0))
                except OSError:
                    raise ServiceError(
                        f"service {spec.name} could not start: port {pinned.get(container, 0)} on "
                        f"{HOST} (services.{spec.name}.ports) is taken"
                    ) from None
                ports[container] = int(holder.getsockname()[1])
        except BaseException:
            _release(held)
            raise
        return ports, held


def _release(held: list[socket.socket]) -> None:
    for holder in held:
        holder.close()


def _quiet(_: str) -> None:
    pass
