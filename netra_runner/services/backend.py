"""What a service backend is (Docker containers or local processes); choice.py picks one.

The session only talks to this interface, so both backends start, check, reuse, reap and
remove services the same way; only how a service runs differs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from netra_runner.services.health import Instance, Probe
from netra_runner.services.spec import ServiceSpec


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
