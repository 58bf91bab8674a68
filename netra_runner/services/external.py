"""A service someone else runs: reached where the config says, health-checked by the same
probes, exported the same way, and never started, stopped or reaped by netra-run."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from netra_runner.errors import ServiceError
from netra_runner.services.health import run_check
from netra_runner.services.spec import ServiceSpec, expand_env


@dataclass
class ExternalInstance:
    service: str
    host: str
    ports: dict[int, int]
    reused: bool = True  # nothing was started: it was there
    labels: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, spec: ServiceSpec) -> ExternalInstance:
        external = spec.service.external
        assert external is not None
        where = f"services.{spec.name}.external"
        host = expand_env(external.host, f"{where}.host")
        ports = {port.container: port.host or port.container for port in spec.service.ports}
        for index, given in enumerate(external.ports):
            text = expand_env(given, f"{where}.ports[{index}]")
            listens, _, container = text.rpartition(":")
            if not (_port(listens) and _port(container) and int(container) in ports):
                raise ServiceError(
                    f"{where}.ports[{index}]: expected 'PORT:CONTAINER_PORT' for one of the "
                    f"service's ports {sorted(ports)}, got {text!r}"
                )
            ports[int(container)] = int(listens)
        return cls(spec.name, host, ports)

    @property
    def id(self) -> str:
        return f"external {self.service} at {self.host}"

    def exec(self, argv: tuple[str, ...]) -> tuple[int, str]:
        """An exec check runs on this machine (pg_isready -h HOST, redis-cli -h HOST ...)."""
        return run_check(list(argv), dict(os.environ))

    def logs(self, tail: int | None = None) -> str:
        return "(an external service: its logs are where it runs)"

    def state(self) -> tuple[bool, str]:
        return True, "external"

    def engine_health(self) -> str | None:
        return None


def _port(text: str) -> bool:
    return text.isdigit() and 1 <= int(text) <= 65535
