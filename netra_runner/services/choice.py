"""The backend a choice of how services run opens: Docker containers, local processes, or
auto. The choice itself is a value of the config (config/choices.py); the backends never
import this module (imports run one way: the choice knows the backends, the backends know
only the interface in backend.py).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import TYPE_CHECKING

from netra_runner.config.choices import Choice, checked
from netra_runner.errors import ServiceError

if TYPE_CHECKING:
    from netra_runner.services.backend import Backend
    from netra_runner.services.spec import RunIdentity, ServiceSpec


def open_backend(
    choice: Choice,
    identity: RunIdentity,
    root: Path,
    say: Callable[[str], None],
    specs: Collection[ServiceSpec] = (),
) -> Backend:
    """`auto` is Docker when an engine answers and has (or can pull) the images of `specs`,
    else local processes when they can run them; the choice is said in one line."""
    choice = checked(choice)
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
