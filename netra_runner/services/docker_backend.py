"""The Docker backend: the only module that imports `docker` (testcontainers' docker_client).

Everything it creates carries the run's labels; everything it removes is found by them.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import docker
from docker.errors import APIError, DockerException, ImageNotFound, NotFound

from netra_runner.errors import ServiceError
from netra_runner.services import failed_pulls
from netra_runner.services.backend import ServiceInstance
from netra_runner.services.health import Probe, probe_for
from netra_runner.services.spec import (
    LABEL_HASH,
    LABEL_KEEP,
    LABEL_OWNER,
    LABEL_PROJECT,
    LABEL_RUN,
    LABEL_SERVICE,
    RunIdentity,
    ServiceSpec,
    orphaned,
)

HOST = "127.0.0.1"
SERVICE_HOST = "NETRA_SERVICE_HOST"  # overrides where services are published and exported
PULL_REPORT_EVERY = 2.0


def image_hint(image: str, local_runs: bool | None = None) -> str:
    """What a user can do, in their own project, about an image the engine lacks."""
    hint = (
        f"make {image} available to the engine ('docker pull {image}' where a registry "
        "answers, or 'docker load -i FILE'), or point the service at an image the engine has "
        "(a profile can)"
    )
    if local_runs is None:
        return f"{hint}; or --services local, where 'netra-run doctor' says local processes can"
    if local_runs:
        return f"{hint}; or run them as local processes: --services local"
    return f"{hint}; they cannot run as local processes here ('netra-run doctor' says why)"


@dataclass(frozen=True)
class Address:
    """Where published ports are bound on the engine's host (`ip`) and what tests are told
    to connect to (`host`): 127.0.0.1 for a local socket; for an engine reached over TCP
    (GitLab's docker:dind, a remote engine), that engine's address."""

    ip: str
    host: str

    @classmethod
    def of_engine(cls, environ: Mapping[str, str] = os.environ) -> Address:
        chosen = environ.get(SERVICE_HOST) or _tcp_host(environ.get("DOCKER_HOST", ""))
        if not chosen:
            return cls(HOST, HOST)
        try:
            return cls(socket.gethostbyname(chosen), chosen)
        except OSError:
            raise ServiceError(
                f"services are published at {chosen} (from {SERVICE_HOST} or DOCKER_HOST), "
                "which does not resolve here"
            ) from None


def _tcp_host(docker_host: str) -> str | None:
    found = urllib.parse.urlsplit(docker_host)
    return found.hostname if found.scheme in ("tcp", "http", "https") else None


class DockerInstance:
    """One running service container, as health probes and the run see it."""

    def __init__(
        self, container: Any, service: str, reused: bool, address: Address | None = None
    ) -> None:
        self._container = container
        self.service = service
        self.reused = reused
        self.address = address or Address(HOST, HOST)
        self.host = self.address.host
        self.ports = _published_ports(container, self.address.ip)

    @property
    def id(self) -> str:
        return str(self._container.name)

    @property
    def labels(self) -> dict[str, str]:
        return dict(self._container.labels)

    def exec(self, argv: tuple[str, ...]) -> tuple[int, str]:
        """As `docker exec` answers: the engine refusing (a container killed or removed
        meanwhile) is exit code 125 with its reason, as for any command that failed."""
        try:
            result = self._container.exec_run(list(argv))
        except DockerException as exc:
            return 125, f"the engine refused to run {argv[0]}: {exc}"
        return int(result.exit_code), result.output.decode(errors="replace")

    def logs(self, tail: int | None = None) -> str:
        data = self._container.logs(tail=tail if tail is not None else "all")
        return str(data.decode(errors="replace"))

    def state(self) -> tuple[bool, str]:
        """(running, description): 'running', 'exited with code 1', ..."""
        try:
            self._container.reload()
        except NotFound:
            return False, "removed"
        state = self._container.attrs["State"]
        if state.get("Running"):
            return True, "running"
        return False, f"{state.get('Status', 'stopped')} with code {state.get('ExitCode')}"

    def engine_health(self) -> str | None:
        """The image's own HEALTHCHECK status ('starting', 'healthy', ...), if it has one."""
        health = self._container.attrs["State"].get("Health")
        return None if health is None else str(health.get("Status"))


class DockerBackend:
    name = "docker"

    def __init__(self, identity: RunIdentity) -> None:
        self.identity = identity
        self.client = connect()
        self.address = Address.of_engine()
        self.local_runs: bool | None = None  # whether local processes could run them instead
        self._network: str | None = None
        self._network_lock = threading.Lock()

    def prepare(self, spec: ServiceSpec, say: Callable[[str], None]) -> str:
        self.ensure_image(spec.service.image, say)
        return spec.service.image

    def probe(self, spec: ServiceSpec, instance: ServiceInstance) -> tuple[Probe, float, float]:
        return probe_for(spec.service)

    def ensure_image(self, image: str, say: Callable[[str], None]) -> None:
        reason = self._obtain(image, say)
        if reason is not None:
            raise ServiceError(
                f"image {image} is not on this machine and cannot be pulled ({reason}); "
                f"{image_hint(image, self.local_runs)}"
            )

    def lacking_image(
        self, specs: Collection[ServiceSpec], say: Callable[[str], None]
    ) -> tuple[str, str] | None:
        """The first image of these services neither here nor pullable, and why."""
        for image in dict.fromkeys(spec.service.image for spec in specs):
            reason = self._obtain(image, say)
            if reason is not None:
                return image, reason
        return None

    def _obtain(self, image: str, say: Callable[[str], None]) -> str | None:
        """None once the image is here (pulled if need be), else why it cannot be."""
        if image_present(self.client, image):
            return None
        engine = self._engine_id()
        earlier = failed_pulls.remembered(engine, image)
        if earlier is not None:
            hours = failed_pulls.REMEMBERED / 3600
            return f"{earlier}; not tried again for {hours:g} h after a failed pull"
        say(f"pulling {image}")
        try:
            self._pull(image, say)
        except (APIError, DockerException) as exc:
            failed_pulls.remember(engine, image, _reason(exc))
            return _reason(exc)
        failed_pulls.remember(engine, image, None)
        return None

    def _engine_id(self) -> str:
        try:
            return str(self.client.info().get("ID") or "engine")
        except (APIError, DockerException):
            return "engine"

    def _pull(self, image: str, say: Callable[[str], None]) -> None:
        repository, _, tag = (
            image.rpartition(":") if ":" in image.split("/")[-1] else (image, "", "latest")
        )
        last = time.monotonic()
        for event in self.client.api.pull(repository, tag=tag, stream=True, decode=True):
            if "error" in event:
                raise DockerException(event["error"])
            if time.monotonic() - last > PULL_REPORT_EVERY and "progress" in event:
                say(f"pulling {image}: {event.get('status', '')} {event['progress']}")
                last = time.monotonic()

    def _shared_network(self, keep: bool) -> str:
        """One network per run (services reach each other by name), made by the first start."""
        with self._network_lock:
            if self._network is None:
                self._network = self._create_network(keep)
            return self._network

    def close(self, keep: bool) -> None:
        if self._network is not None and not keep:
            self.remove_network(self._network)
        self._network = None

    def _create_network(self, keep: bool) -> str:
        ident = self.identity
        name = f"netra-keep-{ident.project_id}" if keep else f"netra-run-{ident.run_id}"
        if keep and self.client.networks.list(names=[name]):
            return name
        labels = ident.labels(ident.project_id, keep)
        self.client.networks.create(name, driver="bridge", labels=labels)
        return name

    def start(self, spec: ServiceSpec, keep: bool, env: dict[str, str]) -> DockerInstance:
        """`env` (the exports of its dependencies) is for local processes: in a container,
        dependencies are reached by name on the run's network instead."""
        network = self._shared_network(keep)
        ident = self.identity
        prefix = f"netra-keep-{ident.project_id}" if keep else f"netra-{ident.run_id}"
        labels = {**ident.labels(spec.definition_hash, keep), LABEL_SERVICE: spec.name}
        service = spec.service
        container = self.client.containers.create(
            service.image,
            command=list(service.command) if service.command else None,
            name=f"{prefix}-{spec.name}",
            environment=dict(service.env),
            labels=labels,
            ports={f"{p.container}/tcp": (self.address.ip, p.host) for p in service.ports},
            tmpfs=dict.fromkeys(service.tmpfs, ""),
            network=network,
            networking_config={
                network: self.client.api.create_endpoint_config(aliases=[spec.name])
            },
        )
        try:
            container.start()
        except APIError as exc:
            container.remove(force=True, v=True)
            raise ServiceError(f"service {spec.name} could not start: {_reason(exc)}") from None
        return DockerInstance(container, spec.name, reused=False, address=self.address)

    def reusable(self, spec: ServiceSpec) -> DockerInstance | None:
        """A kept, running container of this project with the same definition, if any."""
        found = None
        for container in self._containers(
            LABEL_KEEP, f"{LABEL_SERVICE}={spec.name}", self._project()
        ):
            instance = DockerInstance(container, spec.name, reused=True, address=self.address)
            published = {p.container for p in spec.service.ports} <= set(instance.ports)
            if (
                container.labels.get(LABEL_HASH) == spec.definition_hash
                and container.status == "running"
                and published  # at this run's address (DOCKER_HOST may have changed)
            ):
                found = instance
            else:  # a changed definition, a dead one, or published elsewhere: recreate it
                container.remove(force=True, v=True)
        return found

    def remove(self, instance: ServiceInstance) -> None:
        assert isinstance(instance, DockerInstance)
        _quietly(partial(instance._container.remove, force=True, v=True))

    def remove_network(self, name: str) -> None:
        for network in self.client.networks.list(names=[name]):
            _quietly(network.remove)

    def project_instances(self) -> list[ServiceInstance]:
        """Every container of this project: kept ones and those of runs in progress."""
        return [
            DockerInstance(
                c,
                c.labels.get(LABEL_SERVICE, "?"),
                reused=c.labels.get(LABEL_KEEP) == "true",
                address=self.address,
            )
            for c in self._containers(self._project())
        ]

    def kept(self) -> list[ServiceInstance]:
        return [
            DockerInstance(c, c.labels.get(LABEL_SERVICE, "?"), reused=True, address=self.address)
            for c in self._containers(LABEL_KEEP, self._project())
        ]

    def remove_kept(self) -> list[str]:
        removed = [instance.id for instance in self.kept()]
        for instance in self.kept():
            self.remove(instance)
        for network in self.client.networks.list(filters={"label": [LABEL_KEEP, self._project()]}):
            _quietly(network.remove)
        return removed

    def reap_orphans(self) -> list[str]:
        """Remove what this project's runs left behind when their owner process died.

        Another project's leftovers are its own next run's to reap: a run touches nothing of
        a project it was not started for."""
        reaped = []
        for container in self._containers(LABEL_OWNER, self._project()):
            if orphaned(container.labels):
                _quietly(partial(container.remove, force=True, v=True))
                reaped.append(str(container.name))
        for network in self.client.networks.list(filters={"label": [LABEL_OWNER, self._project()]}):
            if orphaned(network.attrs.get("Labels") or {}):
                _quietly(network.remove)
        return reaped

    def _containers(self, *labels: str) -> Iterator[Any]:
        """Those still there: another run may remove one between the listing and its inspection."""
        found = self.client.containers.list(all=True, sparse=True, filters={"label": list(labels)})
        for container in found:
            try:
                container.reload()
            except NotFound:
                continue
            yield container

    def _project(self) -> str:
        return f"{LABEL_PROJECT}={self.identity.project_id}"


def connect() -> Any:
    try:
        client = docker.from_env()
        client.ping()
    except DockerException as exc:
        where = os.environ.get("DOCKER_HOST") or "the default socket (unix:///var/run/docker.sock)"
        raise ServiceError(
            f"no Docker engine answers at {where} ({_reason(exc)}). Start Docker (Docker "
            "Desktop, 'systemctl start docker', or 'dockerd &'), or point DOCKER_HOST at one"
        ) from None
    return client


def image_present(client: Any, image: str) -> bool:
    try:
        client.images.get(image)
    except ImageNotFound:
        return False
    return True


def _published_ports(container: Any, ip: str = HOST) -> dict[int, int]:
    container.reload()
    ports: dict[int, int] = {}
    for key, bindings in (container.attrs["NetworkSettings"].get("Ports") or {}).items():
        for binding in bindings or ():
            if binding.get("HostIp") in (ip, ""):
                ports[int(key.split("/")[0])] = int(binding["HostPort"])
    return ports


def _reason(exc: BaseException) -> str:
    explanation = getattr(exc, "explanation", None)
    text = str(explanation or exc)
    return text.splitlines()[0] if text else type(exc).__name__


def _quietly(action: Callable[[], object]) -> None:
    """Removal is best effort: another run reaping the same orphans may be on it too."""
    try:
        action()
    except NotFound:
        pass
    except APIError as exc:
        # 409: removal already in progress; 403: a network whose containers are still going
        if exc.status_code not in (403, 409):
            raise


__all__ = ["HOST", "LABEL_RUN", "DockerBackend", "DockerInstance", "connect", "image_present"]
