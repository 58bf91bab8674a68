"""How services run, as a value: Docker containers, local processes, or auto. The flag,
the environment variable, a profile's `run.services` and the config all take their values
from here; services/choice.py opens the backend a choice names."""

from __future__ import annotations

from typing import Literal

from netra_runner.errors import UsageError

Choice = Literal["auto", "docker", "local"]
CHOICES: tuple[Choice, ...] = ("auto", "docker", "local")
DEFAULT: Choice = "auto"
HELP = (
    "How services run: docker, local processes, or auto (Docker when an engine answers, "
    "else local)."
)


def checked(value: str) -> Choice:
    """A value typed for --services, NETRA_SERVICES or `run.services`, as a Choice."""
    for choice in CHOICES:
        if value == choice:
            return choice
    raise UsageError(f"--services expects one of {', '.join(CHOICES)}, got {value!r}")
