"""One run's services: started in dependency order (independent ones in parallel), health-
checked, handed to categories as they become ready, and always torn down.
"""

from __future__ import annotations

import dataclasses
import os
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from pathlib import Path
from types import TracebackType

import psutil

from netra_runner.config import Project
from netra_runner.config.choices import Choice
from netra_runner.errors import ServiceError
from netra_runner.events import EventLog
from netra_runner.plugin.masking import Masker, mask_in_place, secrets_in
from netra_runner.services.backend import Backend, ServiceInstance
from netra_runner.services.choice import open_backend
from netra_runner.services.external import ExternalInstance
from netra_runner.services.health import HealthReport, Probe, probe_for, wait_healthy
from netra_runner.services.isolation import Copies, Isolation, exports_for
from netra_runner.services.setup import run_setup
from netra_runner.services.spec import (
    Redactor,
    RunIdentity,
    ServiceSpec,
    render_exports,
    service_specs,
)

LOG_LINES = 50
PORT_RETRIES = 3
_PORT_TAKEN = re.compile(r"address already in use|could not bind", re.IGNORECASE)


def _lost_its_port(spec: ServiceSpec, instance: ServiceInstance, report: HealthReport) -> bool:
    """It exited at start because its port (chosen free, not pinned) was taken meanwhile."""
    if not report.exited or any(port.host for port in spec.service.ports):
        return False
    return bool(_PORT_TAKEN.search(instance.logs(tail=LOG_LINES)))


@dataclass(frozen=True)
class LiveService:
    name: str
    exports: dict[str, str]
    seconds_to_healthy: float
    reused: bool
    started_at: float  # epoch seconds
    instance: ServiceInstance = field(repr=False, compare=False)
    setup_seconds: float = 0.0


class ServiceSession:
    def __init__(
        self,
        backend: Backend,
        specs: dict[str, ServiceSpec],
        keep: bool,
        say: Callable[[str], None],
        events: EventLog | None = None,
        root: Path | None = None,
        log_dir: Path | None = None,
    ) -> None:
        """`root`: where set-up commands run; `log_dir`: where their logs go."""
        self.root = root or Path.cwd()
        self.log_dir = log_dir or self.root / "reports" / "services"
        self.backend = backend
        self.events = events
        self.specs = specs
        self.keep = keep
        self.say = say
        self.redact = Redactor(tuple(s for spec in specs.values() for s in spec.secrets))
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._started: list[ServiceInstance] = []
        self._futures: dict[str, Future[LiveService]] = {}  # healthy and set up
        self._healthy: dict[str, Future[LiveService]] = {}  # healthy: its exports work
        self._given_up: set[str] = set()  # its set-up failed: removed, not watched
        self._isolation = Isolation()
        self._pool = ThreadPoolExecutor(
            max_workers=max(len(specs), 1), thread_name_prefix="service"
        )

    def __enter__(self) -> ServiceSession:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.teardown()

    def start(self) -> None:
        """Begin starting every service; returns at once (see `future`)."""
        reaped = self.backend.reap_orphans()
        if reaped:
            self.say(f"removed {len(reaped)} services left by runs that died: {', '.join(reaped)}")
        order = TopologicalSorter({n: s.service.depends_on for n, s in self.specs.items()})
        for name in order.static_order():  # a dependency's future exists before its dependents'
            self._healthy[name] = Future()
            self._futures[name] = self._pool.submit(self._start_one, self.specs[name])

    def restart(self, name: str) -> Future[LiveService]:
        """Start a service that went down anew (and set it up again): new futures, which
        categories that start from now on wait for."""
        down = self._healthy[name].result().instance
        self._healthy[name] = Future()
        self._futures[name] = self._pool.submit(self._start_again, self.specs[name], down)
        return self._futures[name]

    def _start_again(self, spec: ServiceSpec, down: ServiceInstance) -> LiveService:
        if down in self._started:
            self._discard(down)  # its logs were read when it went down
        return self._start_one(spec)

    def future(self, name: str) -> Future[LiveService]:
        """Done when the service is healthy and set up (or failed)."""
        return self._futures[name]

    def healthy(self, name: str) -> Future[LiveService]:
        """Done when the service is healthy (or failed before): its set-up may still run."""
        return self._healthy[name]

    def given_up(self, name: str) -> bool:
        """Its set-up failed (or is failing): it is being removed, and is no outage."""
        with self._lock:
            return name in self._given_up

    def live(self) -> list[LiveService]:
        return [f.result() for f in self._futures.values() if f.done() and f.exception() is None]

    def log_tails(self, names: set[str], lines: int = LOG_LINES) -> dict[str, str]:
        """The last lines of each healthy service's log, secrets masked, read before teardown."""
        tails = {}
        for service in self.live():
            if service.name in names:
                text = service.instance.logs(tail=lines).rstrip() or "(no output)"
                tails[service.name] = self.redact(text)
        return tails

    def probe(self, name: str) -> tuple[Probe, float]:
        """The health probe of a healthy service, and its timeout."""
        probe, _, timeout = self._probe_of(self.specs[name], self._healthy[name].result().instance)
        return probe, timeout

    def exports_for(self, names: tuple[str, ...]) -> dict[str, str]:
        env: dict[str, str] = {}
        for name in names:
            env.update(self._healthy[name].result().exports)
        return env

    def isolated(
        self, category: str, services: tuple[tuple[str, str], ...], workers: list[str]
    ) -> tuple[dict[str, dict[str, str]], list[Copies]]:
        """Each worker's own exports for the isolated services, and the copies (named, to
        `fill` after the set-up; whole instances started and set up now), to release when
        the category ends."""
        made: list[Copies] = []
        per_worker: dict[str, dict[str, str]] = {w: {} for w in workers}
        try:
            for name, mode in services:
                service = (self._futures if mode == "instance" else self._healthy)[name].result()
                spec = self.specs[name]
                copies = (
                    self._instances(spec, service, category, workers)
                    if mode == "instance"
                    else self._isolation.copies(spec, service.instance, category, workers)
                )
                made.append(copies)
                for worker in workers:
                    per_worker[worker].update(exports_for(copies, service.exports, worker))
        except ServiceError as exc:
            self.release(made)
            raise ServiceError(self.redact(str(exc))) from None
        return per_worker, made

    def fill(self, copies: list[Copies], workers: list[str] | None = None) -> None:
        """Make the copies `isolated` named (of `workers`, or all): after their services'
        set-up."""
        try:
            for each in copies:
                self._isolation.fill(each, workers)
        except ServiceError as exc:
            raise ServiceError(self.redact(str(exc))) from None

    def _instances(
        self, spec: ServiceSpec, first: LiveService, category: str, workers: list[str]
    ) -> Copies:
        """isolate: instance: the first worker gets the run's instance, every other one a
        whole instance of its own, started and set up alongside each other."""
        names = {w: str(n) for n, w in enumerate(workers)}
        copies = Copies(spec, first.instance, names, {}, {workers[0]: first.exports})
        clones = {
            w: dataclasses.replace(spec, name=f"{spec.name}-{category}-{w}") for w in workers[1:]
        }
        with ThreadPoolExecutor(max_workers=max(len(clones), 1)) as pool:
            started = {w: pool.submit(self._start_one, clone) for w, clone in clones.items()}
        failed = None
        for worker, future in started.items():
            try:
                live = future.result()
            except ServiceError as exc:
                failed = failed or exc
                continue
            copies.instances[worker] = live.instance
            copies.exports[worker] = live.exports
        if failed is not None:
            self.release([copies])
            raise failed
        return copies

    def release(self, copies: list[Copies], quiet: bool = False) -> None:
        """`quiet`: their service went down, so nothing is left to drop and that is no news."""
        for each in copies:
            for instance in each.instances.values():
                if instance in self._started:
                    self._discard(instance)
            try:
                self._isolation.release(each)
            except ServiceError as exc:  # the service went away: nothing left to drop
                if not quiet:
                    self.say(self.redact(str(exc)))

    def recopy(self, copies: list[Copies], worker: str) -> None:
        """One worker's copies made anew: its process died, and what it left is not for the
        process that takes its place."""
        try:
            for each in copies:
                self._isolation.recopy(each, worker)
        except ServiceError as exc:
            raise ServiceError(self.redact(str(exc))) from None

    def teardown(self) -> None:
        self._stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
        for healthy in self._healthy.values():  # of a cancelled start: nobody waits forever
            if not healthy.done():
                healthy.set_exception(ServiceError("not started: the run is stopping"))
        if self.keep:
            self.backend.close(keep=True)
            return
        with self._lock:
            started, self._started = self._started, []
        removing = [threading.Thread(target=self.backend.remove, args=(i,)) for i in started]
        for thread in removing:
            thread.start()
        for thread in removing:
            thread.join()
        self.backend.close(keep=False)

    def _start_one(self, spec: ServiceSpec) -> LiveService:
        healthy = self._healthy.get(spec.name, Future())  # a clone's: nobody waits on it
        try:
            return self._start_and_set_up(spec, healthy)
        except BaseException as exc:
            if not healthy.done():
                healthy.set_exception(exc)
            raise

    def _start_and_set_up(self, spec: ServiceSpec, healthy: Future[LiveService]) -> LiveService:
        for dep in spec.service.depends_on:
            if self._futures[dep].exception() is not None:
                raise ServiceError(f"service {spec.name} needs {dep}, which did not start")
        began, began_at = time.monotonic(), time.time()
        instance = self._external(spec) or self._reuse(spec) or self._create(spec)
        report = self._wait(spec, instance)
        for _ in range(PORT_RETRIES):
            ours = instance in self._started  # not a reused or an external one
            if report.healthy or not ours or not _lost_its_port(spec, instance, report):
                break
            # A free port is only free until the server binds it: another process (a
            # client's ephemeral port, another run) took it in between. A new one, again.
            self.say(f"service {spec.name}: its port was taken before it bound it; again")
            self._discard(instance)
            instance = self._create(spec)
            report = self._wait(spec, instance)
        if not report.healthy:
            self._emit("service_failed", service=spec.name, seconds=round(report.elapsed, 3))
            raise ServiceError(self._unhealthy(spec, instance, report))
        seconds = time.monotonic() - began
        self._emit(
            "service_healthy", service=spec.name, seconds=round(seconds, 3), reused=instance.reused
        )
        note = " (reused)" if instance.reused else ""
        self.say(f"service {spec.name} healthy in {seconds:.1f}s{note}")
        exports = render_exports(spec, instance.host, instance.ports)
        live = LiveService(spec.name, exports, seconds, instance.reused, began_at, instance)
        healthy.set_result(live)
        # A kept one was set up when it was made; someone else's service, every run.
        fresh = not instance.reused or isinstance(instance, ExternalInstance)
        if not (spec.service.setup and fresh):
            return live
        return dataclasses.replace(live, setup_seconds=self._set_up(spec, instance, exports))

    def _set_up(
        self, spec: ServiceSpec, instance: ServiceInstance, exports: dict[str, str]
    ) -> float:
        env = {**self.exports_for(spec.service.depends_on), **exports}
        log = self.log_dir / f"{spec.name}.setup.log"
        log.unlink(missing_ok=True)  # this run's set-up only
        # its services' secrets and every password its exports hand it (URLs, DSNs)
        redact = Masker((*self.redact.values, *secrets_in(env)))
        try:
            seconds = run_setup(spec, env, self.root, log, self._stop)
        except ServiceError as exc:
            with self._lock:  # before it is removed: the watcher must not call that an outage
                self._given_up.add(spec.name)
            self._emit("service_failed", service=spec.name, phase="setup")
            if instance in self._started:
                self._discard(instance)  # never kept half set up: the next run starts anew
            raise ServiceError(redact(str(exc))) from None
        finally:
            mask_in_place(log, redact)
        self._emit("service_setup", service=spec.name, seconds=round(seconds, 3))
        self.say(
            f"service {spec.name} set up in {seconds:.1f}s ({len(spec.service.setup)} commands)"
        )
        return seconds

    def _external(self, spec: ServiceSpec) -> ServiceInstance | None:
        """Someone else's service: checked where it is, never started, kept or removed."""
        if spec.service.external is None:
            return None
        instance = ExternalInstance.of(spec)
        self.say(f"service {spec.name} is external ({instance.host})")
        self._emit("service_starting", service=spec.name, image="", runs="external")
        return instance

    def _reuse(self, spec: ServiceSpec) -> ServiceInstance | None:
        instance = self.backend.reusable(spec)
        if instance is None:
            return None
        if self._wait(spec, instance, quick=True).healthy:
            return instance
        self.backend.remove(instance)  # kept but sick: recreated under the same name
        return None

    def _create(self, spec: ServiceSpec) -> ServiceInstance:
        runs = self.backend.prepare(spec, self.say)
        if self._stop.is_set():
            raise ServiceError(f"service {spec.name} not started: the run is stopping")
        instance = self.backend.start(spec, self.keep, self.exports_for(spec.service.depends_on))
        with self._lock:
            self._started.append(instance)
        self.say(f"service {spec.name} starting ({runs})")
        self._emit("service_starting", service=spec.name, image=spec.service.image, runs=runs)
        return instance

    def _discard(self, instance: ServiceInstance) -> None:
        with self._lock:
            self._started.remove(instance)
        self.backend.remove(instance)

    def _emit(self, event: str, **fields: object) -> None:
        if self.events is not None:
            self.events.emit(event, **fields)

    def _wait(
        self, spec: ServiceSpec, instance: ServiceInstance, quick: bool = False
    ) -> HealthReport:
        probe, interval, timeout = self._probe_of(spec, instance)
        return wait_healthy(instance, probe, interval, 0.0 if quick else timeout, stop=self._stop)

    def _probe_of(self, spec: ServiceSpec, instance: ServiceInstance) -> tuple[Probe, float, float]:
        """Someone else's service is probed as configured; ours as its backend knows how."""
        if isinstance(instance, ExternalInstance):
            return probe_for(spec.service)
        return self.backend.probe(spec, instance)

    def _unhealthy(self, spec: ServiceSpec, instance: ServiceInstance, report: HealthReport) -> str:
        probe = self._probe_of(spec, instance)[0]
        if report.exited:
            head = f"service {spec.name} {report.exited} while starting"
        elif self._stop.is_set():
            head = f"service {spec.name} was still starting when the run stopped"
        else:
            head = f"service {spec.name} did not become healthy in {report.elapsed:.1f}s"
        logs = instance.logs(tail=LOG_LINES).rstrip() or "(no output)"
        text = "\n".join(
            [
                f"{head} ({probe.description})",
                "probe history:",
                *(f"  {line}" for line in report.history or ["(no probe ran)"]),
                f"last {LOG_LINES} log lines of {spec.name}:",
                *(f"  {line}" for line in logs.splitlines()),
                f"hint: check services.{spec.name} ({self._settings()}) in categories.yaml; "
                "'netra-run services up' starts it alone and keeps it",
            ]
        )
        return self.redact(text)

    def _settings(self) -> str:
        if self.backend.name == "local":
            return "local, env, command, healthcheck"
        return "image, command, env, healthcheck"


def open_session(
    project: Project,
    needed: set[str],
    keep: bool,
    say: Callable[[str], None],
    events: EventLog | None = None,
    choice: Choice = "auto",
    log_dir: Path | None = None,
) -> ServiceSession:
    """Choose the backend first: with none usable, the run stops (exit 3) before anything
    starts."""
    identity = RunIdentity.new(project.file, os.getpid(), psutil.Process().create_time())
    specs = service_specs(project, needed)
    backend = open_backend(choice, identity, project.root, say, list(specs.values()))
    return ServiceSession(backend, specs, keep, say, events, project.root, log_dir)
