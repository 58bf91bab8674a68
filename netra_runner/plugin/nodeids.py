"""Test ids as netra-run names them (from the project root) and as this pytest does (from
its rootdir)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from netra_runner.plugin import agreement as agreed


def base_of(config: pytest.Config) -> str:
    """Where pytest's rootdir is, seen from the project root (--netra-root; else the folder
    pytest was started in): ids are named from the project root, wherever a suite runs."""
    root = config.getoption(agreed.ROOT.dest) or config.invocation_params.dir
    return os.path.relpath(config.rootpath, root)


def unbase(nodeid: str, base: str) -> str:
    prefix = base.rstrip("/") + "/"
    return nodeid[len(prefix) :] if base != "." and nodeid.startswith(prefix) else nodeid


def rebase(nodeid: str, base: str) -> str:
    """pytest's rootdir-relative id, relative to the folder pytest was started in."""
    if base == "." or not nodeid:
        return nodeid
    path, sep, rest = nodeid.partition("::")
    return f"{os.path.normpath(Path(base, path))}{sep}{rest}"


def first_ids(config: pytest.Config, base: str) -> frozenset[str]:
    """--netra-first's ids (named from the project root), as this pytest names them."""
    return ids_in(config, agreed.FIRST, base)


def ids_in(config: pytest.Config, option: agreed.Option, base: str) -> frozenset[str]:
    """The ids in the file an option names (named from the project root), as this pytest
    names them."""
    path = config.getoption(option.dest)
    if not path:
        return frozenset()
    ids = Path(path).read_text(encoding="utf-8").split()
    return frozenset(unbase(nodeid, base) for nodeid in ids)
