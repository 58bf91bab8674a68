"""Fixtures shared by unit and integration tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import copy_fixture


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """A private copy of the fixture project with every outcome."""
    return copy_fixture("mixed", tmp_path)


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    def write(text: str, name: str = "categories.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
