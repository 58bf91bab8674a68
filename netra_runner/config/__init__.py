"""categories.yaml: loading with line numbers, validation, profiles, frozen records."""

from netra_runner.config.load import FILENAME, Project, find_config, load_project
from netra_runner.config.model import (
    Category,
    Config,
    Defaults,
    Healthcheck,
    LocalRun,
    Port,
    RunDefaults,
    Service,
)

__all__ = [
    "FILENAME",
    "Category",
    "Config",
    "Defaults",
    "Healthcheck",
    "LocalRun",
    "Port",
    "Project",
    "RunDefaults",
    "Service",
    "find_config",
    "load_project",
]
