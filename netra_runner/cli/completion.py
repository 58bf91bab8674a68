"""Shell completion of names from the project's categories.yaml (categories, profiles,
services). A config that cannot be read completes nothing: completion never errors."""

from __future__ import annotations

from pathlib import Path

from netra_runner.config.load import BUILTIN_PROFILES
from netra_runner.errors import NetraError


def _config() -> dict[str, object]:
    from netra_runner.config import find_config
    from netra_runner.config.load import read_source

    try:
        data = read_source(find_config(Path.cwd())).data
    except NetraError:
        return {}
    return data if isinstance(data, dict) else {}


def _names(section: str, incomplete: str, extra: tuple[str, ...] = ()) -> list[str]:
    found = _config().get(section)
    names = [*(found if isinstance(found, dict) else {}), *extra]
    last = incomplete.rpartition(",")[2]  # -c a,b completes the name after the comma
    prefix = incomplete[: len(incomplete) - len(last)]
    return [prefix + name for name in dict.fromkeys(names) if name.startswith(last)]


def categories(incomplete: str) -> list[str]:
    return _names("categories", incomplete)


def profiles(incomplete: str) -> list[str]:
    return _names("profiles", incomplete, tuple(BUILTIN_PROFILES))


def services(incomplete: str) -> list[str]:
    return _names("services", incomplete)
