"""`netra-run images build`: the offline images from the installed command, as a wheel
user on an air-gapped engine runs it."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import netra

pytestmark = pytest.mark.docker


def test_the_installed_command_builds_the_offline_redis_image(tmp_path: Path) -> None:
    built = netra(tmp_path, "images", "build", "--only", "redis", timeout=300)
    assert built.code == 0, built.out + built.err
    assert built.out.startswith("built netra-offline/redis:")


def test_an_unknown_image_is_a_usage_error(tmp_path: Path) -> None:
    ran = netra(tmp_path, "images", "build", "--only", "mysql")
    assert ran.code == 2
    assert "--only expects one of postgres, redis, got 'mysql'" in ran.err
