"""What a service backend is (Docker containers or local processes), and choosing one.

The session only talks to this interface, so both backends start, check, reuse, reap and
remove services the same way; only how a service runs differs.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import Literal, Protocol

from netra_runner.errors import ServiceError, UsageError
from netra_runner.services.health import Instance, Probe
from netra_runner.services.spec import RunIdentity, ServiceSpec

Choice = Literal["docker", "local", "auto"]
CHOICES: tuple[Choice, ...] = ("docker", "local", "auto")


class ServiceInstance(Instance, Protocol):
    """One running service, whichever backend runs it."""

    service: str
    reused: bool

    @property
    def id(self) -> str: ...

    @property
    def labels(self) -> dict[str, str]: ...


class Backend(Protocol):
    name: str

    def reap_orphans(self) -> list[str]:
        """Remove what this project's dead runs left; return what was removed."""
        ...

    def prepare(self, spec: ServiceSpec, say: Callable[[str], None]) -> str:
        """Make sure the service can start (image, binaries); return what it will run."""
        ...

    def reusable(self, spec: ServiceSpec) -> ServiceInstance | None: ...

    def start(self, spec: ServiceSpec, keep: bool, env: dict[str, str]) -> ServiceInstance:
        """Start it; `env` holds the exports of the services it depends on."""
        ...

    def probe(self, spec: ServiceSpec, instance: ServiceInstance) -> tuple[Probe, float, float]:
        """The health probe, interval and timeout for this service on this backend."""
        ...

    def remove(self, instance: ServiceInstance) -> None: ...

    def close(self, keep: bool) -> None:
        """Release what the run shared between its services (a network)."""
        ...

    def project_instances(self) -> list[ServiceInstance]: ...

    def kept(self) -> list[ServiceInstance]: ...

    def remove_kept(self) -> list[str]: ...


def open_backend(
    choice: Choice,
    identity: RunIdentity,
    root: Path,
    say: Callable[[str], None],
    specs: Collection[ServiceSpec] = (),
) -> Backend:
    """`auto` is Docker when an engine answers and has (or can pull) the images of `specs`,
    else local processes when they can run them; the choice is said in one line."""
    if choice not in CHOICES:
        raise UsageError(f"--services expects one of {', '.join(CHOICES)}, got {choice!r}")
    from netra_runner.services.local.backend import LocalBackend

    if choice == "local":
        return LocalBackend(identity, root)
    from netra_runner.services.docker_backend import DockerBackend  # the SDK: on demand

    try:
        docker = DockerBackend(identity)
    except ServiceError:
        if choice == "docker":
            raise
        say("no Docker engine answers: services run as local processes (--services local)")
        return LocalBackend(identity, root)
    ours = [spec for spec in specs if spec.service.external is None]
    local = LocalBackend(identity, root)
    if choice == "docker":
        docker.local_runs = local.can_run(ours)  # for the hint, should an image be missing
        return docker
    lacking = docker.lacking_image(ours, say)
    if lacking is None:
        return docker
    if not local.can_run(ours):
        docker.local_runs = False
        return docker  # it fails as before, saying what to do about the image
    image, reason = lacking
    say(
        f"image {image} is not on this machine and cannot be pulled ({reason}): services run "
        "as local processes (--services local)"
    )
    docker.client.close()
    return local
