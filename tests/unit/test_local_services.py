"""The local backend's parts: recipes read Docker-shaped services, binaries are found in
order, records survive, and a server's whole session is stopped (real processes)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from netra_runner.config import Service
from netra_runner.errors import ServiceError
from netra_runner.services.local import processes, templates
from netra_runner.services.local.binaries import Install, Needs, find_install, reachable_for
from netra_runner.services.local.processes import Account
from netra_runner.services.local.recipes import Place, image_kind, passed_arguments
from netra_runner.services.local.state import Record
from netra_runner.services.spec import ServiceSpec, definition_hash


def spec(**fields: object) -> ServiceSpec:
    service = Service(**{"image": "postgres:16-alpine", **fields})  # type: ignore[arg-type]
    return ServiceSpec("db", service, definition_hash(service))


@pytest.mark.parametrize(
    ("image", "kind"),
    [
        ("postgres:16-alpine", "postgres"),
        ("netra-offline/postgres:15", "postgres"),
        ("docker.io/library/redis:7@sha256:abc", "redis"),
        ("registry:5000/redis", "redis"),
        ("bitnami/postgresql-repmgr:16", None),
        ("nginx:1", None),
    ],
)
def test_the_image_name_says_the_kind(image: str, kind: str | None) -> None:
    assert image_kind(image) == kind


def test_server_arguments_come_from_the_command() -> None:
    assert passed_arguments(spec(command=("postgres", "-c", "fsync=off")), "postgres") == (
        "-c",
        "fsync=off",
    )
    assert passed_arguments(spec(command=("-c", "x=1")), "postgres") == ("-c", "x=1")
    assert passed_arguments(spec(), "postgres") == ()
    with pytest.raises(ServiceError, match=r"services\.db\.local\.command"):
        passed_arguments(spec(command=("docker-entrypoint.sh", "postgres")), "postgres")


def test_placeholders_are_filled() -> None:
    place = Place(Path("/srv/x"), {5432: 40001})
    assert place.fill("{host}:{port:5432} in {dir}") == "127.0.0.1:40001 in /srv/x"
    assert place.fill("{other}") == "{other}"


def test_a_record_survives_and_a_torn_one_reads_as_none(tmp_path: Path) -> None:
    record = Record("db", {"netra.run": "r1"}, {5432: 40001}, "PostgreSQL", 12, 3.5, "SIGINT")
    record.save(tmp_path)
    assert Record.load(tmp_path) == record
    (tmp_path / "instance.json").write_text("{not json")
    assert Record.load(tmp_path) is None


def tools(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = folder / name
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
    return folder


NEEDS = Needs("Thing", ("thing-init", "thing"), None, ("no_such_module_x", "bin"), "'apt-get x'")


def test_a_configured_folder_wins_and_must_hold_every_tool(tmp_path: Path) -> None:
    good = tools(tmp_path / "good", "thing-init", "thing")
    found = find_install(NEEDS, good, "services.t.local.bin", search_path="")
    assert found == Install(good, "services.t.local.bin")
    half = tools(tmp_path / "half", "thing")
    with pytest.raises(ServiceError, match=r"services\.t\.local\.bin: .*half has no thing-init"):
        find_install(NEEDS, half, "services.t.local.bin", search_path="")


def test_path_is_followed_through_symlinks_to_the_whole_installation(tmp_path: Path) -> None:
    real = tools(tmp_path / "lib" / "15" / "bin", "thing-init", "thing")
    linked = tmp_path / "links"
    linked.mkdir()
    (linked / "thing-init").symlink_to(real / "thing-init")  # the other tool is not linked
    found = find_install(NEEDS, None, "k", search_path=str(linked))
    assert found == Install(real, "PATH")


def test_the_newest_debian_version_is_taken(tmp_path: Path) -> None:
    for version in ("9", "15", "13"):
        tools(tmp_path / version / "bin", "thing-init", "thing")
    needs = Needs("Thing", ("thing-init", "thing"), "unused", ("no_such_module_x", "bin"), "")
    found = find_install(needs, None, "k", search_path="", debian_roots=f"{tmp_path}/*/bin")
    assert found == Install(tmp_path / "15" / "bin", "Debian layout")


def test_the_embedded_extra_comes_last(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "fake_embedded_x"
    (package / "__init__.py").parent.mkdir()
    (package / "__init__.py").write_text("")
    tools(package / "bin", "thing-init", "thing")
    monkeypatch.syspath_prepend(str(tmp_path))
    needs = Needs("Thing", ("thing-init", "thing"), None, ("fake_embedded_x", "bin"), "")
    found = find_install(needs, None, "k", search_path="")
    assert found == Install(package / "bin", "embedded extra (fake_embedded_x)")


def test_nothing_found_says_what_to_install() -> None:
    with pytest.raises(ServiceError) as caught:
        find_install(NEEDS, None, "services.t.local.bin", search_path="")
    message = str(caught.value)
    assert "no Thing binaries (thing-init, thing) found in PATH" in message
    assert "'apt-get x'" in message and "netra-run[embedded]" in message
    assert "services.t.local.bin" in message


@pytest.mark.skipif(os.geteuid() != 0, reason="copying for another account needs root")
def test_an_installation_out_of_reach_is_copied_with_its_wheel_libraries(tmp_path: Path) -> None:
    site = tmp_path / "private"
    site.mkdir(mode=0o700)
    site.chmod(0o700)
    binaries = tools(site / "pkg" / "pginstall" / "bin", "thing-init", "thing")
    tools(site / "pkg.libs", "libthing.so")
    account = Account.named("nobody")
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o711)
    copied = reachable_for(Install(binaries, "PATH"), account, cache)
    assert copied.source == "PATH, copied for nobody"
    assert (copied.bin / "thing").is_file()
    assert (copied.bin.parents[2] / "pkg.libs" / "libthing.so").is_file()
    assert reachable_for(Install(binaries, "PATH"), account, cache) == copied  # once


def session_with_children() -> subprocess.Popen[bytes]:
    return subprocess.Popen(["sh", "-c", "sleep 600 & sleep 600 & wait"], start_new_session=True)


def wait_for_children(pid: int, count: int) -> None:
    """Until `count` children run sleep: a child is named sh between its fork and its exec."""
    deadline = time.monotonic() + 10
    while [c.name() for c in psutil.Process(pid).children()] != ["sleep"] * count:
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_stopping_a_server_stops_its_whole_tree() -> None:
    server = session_with_children()
    wait_for_children(server.pid, 2)
    started = processes.started_at(server.pid)
    assert len(processes.members(server.pid, started)) == 3
    processes.stop(server.pid, started, signal.SIGTERM)
    server.wait(timeout=5)
    assert processes.members(server.pid, started) == []


def test_a_dead_servers_session_is_still_found_and_stopped() -> None:
    server = session_with_children()
    wait_for_children(server.pid, 2)
    started = processes.started_at(server.pid)
    server.kill()  # as if the server crashed: its children live on in its session
    server.wait()
    left = processes.members(server.pid, started)
    assert len(left) == 2 and all(p.name() == "sleep" for p in left)
    processes.stop(server.pid, started, signal.SIGTERM)
    assert processes.members(server.pid, started) == []


def test_a_pid_with_another_start_time_is_not_ours() -> None:
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    try:
        started = processes.started_at(bystander.pid)
        assert processes.members(bystander.pid, started - 100) == []
        processes.stop(bystander.pid, started - 100, signal.SIGKILL)
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_a_template_is_kept_whole_found_by_key_and_restored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    data = tmp_path / "data"
    (data / "base").mkdir(parents=True)
    (data / "PG_VERSION").write_text("15\n")
    (data / "base" / "1").write_text("rows")
    name = templates.key("bin", 1, "netra", "pw", "db", "scram-sha-256", [])
    assert name != templates.key("bin", 1, "netra", "other", "db", "scram-sha-256", [])
    assert templates.find(name) is None
    templates.save(data, name)
    found = templates.find(name)
    assert found is not None and (found / "base" / "1").read_text() == "rows"
    assert [p.name for p in found.parent.iterdir()] == [name]  # no partial copy left
    templates.restore(found, tmp_path / "copy", None)
    assert (tmp_path / "copy" / "base" / "1").read_text() == "rows"


def test_saving_a_template_where_it_cannot_be_written_loses_only_the_speed_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # a file: no folder can be made under it
    (tmp_path / "data").mkdir()
    templates.save(tmp_path / "data", "k")
    assert templates.find("k") is None
