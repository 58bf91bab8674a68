"""A category's `env_file`: dotenv files (KEY=value, quotes, `export`, ${VAR} references),
read with python-dotenv as the app itself reads them. Files come first, `env` over them."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def dotenv_files(root: Path, files: Sequence[str]) -> dict[str, str]:
    """The variables of each file in turn (a later file wins); a key with no value is left
    out, as docker compose leaves it."""
    values: dict[str, str] = {}
    if not files:
        return values
    from dotenv import dotenv_values  # only where a category has one: not at every start-up

    for name in files:
        read = dotenv_values(root / name, interpolate=True, encoding="utf-8")
        values.update({key: value for key, value in read.items() if value is not None})
    return values
