"""What only the Docker backend has: images, the engine, the image's own HEALTHCHECK."""

from pathlib import Path

import pytest
from helpers import netra

pytestmark = pytest.mark.docker


def test_docker_probe_needs_an_image_healthcheck(services_project: Path) -> None:
    ran = netra(services_project, "--real-services", "--services", "docker", "-c", "image_health")
    assert ran.code == 3
    assert "the image defines no HEALTHCHECK" in ran.out


def test_an_image_that_does_not_exist(services_project: Path) -> None:
    ran = netra(services_project, "--real-services", "--services", "docker", "-c", "bad_image")
    assert ran.code == 3
    assert (
        "image netra-test/does-not-exist:1 is not on this machine and cannot be pulled" in ran.out
    )
    # what the user can do in their own project, not this repository's own scripts
    assert "docker load -i FILE" in ran.out
    assert "they cannot run as local processes here" in ran.out  # no recipe for that image
    assert "build_offline_images" not in ran.out


def test_a_failed_pull_is_said_once_and_not_tried_again_for_a_while(
    services_project: Path, tmp_path: Path
) -> None:
    cache = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    argv = ("--real-services", "--services", "docker", "-c", "bad_image")
    first = netra(services_project, *argv, env=cache)
    assert first.code == 3 and "pulling netra-test/does-not-exist:1" in first.out
    again = netra(services_project, *argv, env=cache)
    assert again.code == 3, again.out
    assert "pulling" not in again.out
    assert "not tried again for 6 h after a failed pull" in again.out


def test_no_engine_stops_before_anything_runs(services_project: Path) -> None:
    ran = netra(
        services_project,
        "--real-services",
        "--services",
        "docker",
        "-c",
        "free",
        "-c",
        "cache",
        env={"DOCKER_HOST": "unix:///nonexistent.sock"},
    )
    assert ran.code == 3
    assert "no Docker engine answers at unix:///nonexistent.sock" in ran.err
    assert "START" not in ran.out


def test_doctor(services_project: Path) -> None:
    ran = netra(services_project, "doctor")
    assert ran.code == 3
    assert "ok   image netra-offline/postgres:15" in ran.out
    assert "FAIL image netra-test/does-not-exist:1: not present" in ran.out
    assert "--services auto uses docker" in ran.out


@pytest.mark.local_services
def test_doctor_says_warn_not_fail_for_an_image_auto_runs_locally(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "categories.yaml").write_text(
        "version: 1\nservices:\n  db:\n    image: postgres:17-never-pulled\n    ports: [5432]\n"
        "    healthcheck: {exec: [pg_isready, -h, 127.0.0.1]}\n"
        "categories:\n  unit: {paths: [t], services: [db]}\n"
    )
    ran = netra(tmp_path, "doctor", env={"XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert "warn image postgres:17-never-pulled: not present: auto runs it locally" in ran.out
    assert "FAIL" not in ran.out
    assert ran.code == 0, ran.out
