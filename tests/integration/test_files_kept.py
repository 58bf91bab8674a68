"""netra-run replaces or deletes only what it can tell it wrote: a device stays a device, a
config or test file named as a report stays as it was, a folder of the user's is refused."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
from helpers import netra

CONFIG = "version: 1\ncategories:\n  u: {paths: [t]}\n"
TEST = "def test_a():\n    pass\n"


def project(root: Path) -> Path:
    (root / "t").mkdir()
    (root / "t" / "test_u.py").write_text(TEST)
    (root / "categories.yaml").write_text(CONFIG)
    return root


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a character device needs root")
def test_a_device_named_as_every_report_is_still_a_device_after_the_run(tmp_path: Path) -> None:
    root = project(tmp_path)
    devices = [root / name for name in ("null-junit", "null-json", "null-html")]
    for device in devices:  # the same device as /dev/null (major 1, minor 3)
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    flags = ["--junit", "null-junit", "--json", "null-json", "--html", "null-html"]
    ran = netra(root, "-c", "u", "--plain", *flags)
    assert ran.code == 0, ran.out + ran.err
    for device in devices:
        assert stat.S_ISCHR(device.stat().st_mode), device
    assert not list(root.glob("*.partial"))


def test_a_fifo_as_the_junit_report_gets_the_report_written_into_it(tmp_path: Path) -> None:
    root = project(tmp_path)
    fifo = root / "junit-pipe"
    os.mkfifo(fifo)
    read: list[bytes] = []
    reader = threading.Thread(target=lambda: read.append(fifo.read_bytes()), daemon=True)
    reader.start()
    ran = netra(root, "-c", "u", "--plain", "--junit", "junit-pipe")
    reader.join(timeout=30)
    assert ran.code == 0, ran.out + ran.err
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert b'name="netra-run"' in read[0] and b"test_a" in read[0]


@pytest.mark.parametrize(
    ("flag", "target"),
    [("--junit", "categories.yaml"), ("--json", "t/test_u.py"), ("--html", "t/test_u.py")],
)
def test_a_report_flag_naming_a_file_of_the_users_is_refused_and_the_file_kept(
    tmp_path: Path, flag: str, target: str
) -> None:
    root = project(tmp_path)
    before = (root / target).read_bytes()
    ran = netra(root, "-c", "u", "--plain", flag, target)
    assert ran.code == 2, ran.out + ran.err
    assert f"{flag} {target}: " in ran.err and "not a report netra-run wrote" in ran.err
    assert (root / target).read_bytes() == before
    assert not (root / "reports" / "categories").exists()  # refused before anything ran


def test_a_report_file_netra_run_wrote_is_replaced_by_the_next_run(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "empty.json").touch()  # an empty file holds nothing to lose
    for _ in range(2):
        ran = netra(root, "-c", "u", "--plain", "--junit", "out.xml", "--json", "empty.json")
        assert ran.code == 0, ran.out + ran.err
    assert '"tool":{"name":"netra-run"' in (root / "empty.json").read_text()


def test_two_reports_to_one_file_is_a_usage_error(tmp_path: Path) -> None:
    ran = netra(project(tmp_path), "-c", "u", "--junit", "x", "--json", "x")
    assert ran.code == 2
    assert "--json x: --junit x names the same file" in ran.err


def test_the_project_root_as_reports_folder_is_refused_and_its_files_kept(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "junit.xml").write_text("<the project's own/>")
    ran = netra(root, "-c", "u", "--plain", "--reports-dir", ".")
    assert ran.code == 2, ran.out + ran.err
    assert "holds files netra-run did not write (categories.yaml, t)" in ran.err
    assert (root / "junit.xml").read_text() == "<the project's own/>"
    assert not (root / "categories").exists() and not (root / "events.ndjson").exists()


def test_a_reports_folder_netra_run_made_is_used_again(tmp_path: Path) -> None:
    root = project(tmp_path)
    assert netra(root, "-c", "u", "--plain", "--reports-dir", "out").code == 0
    (root / "out" / "notes.txt").write_text("mine")  # marked as netra-run's: still its own
    assert netra(root, "-c", "u", "--plain", "--reports-dir", "out").code == 0
    assert (root / "out" / "notes.txt").read_text() == "mine"


def test_an_unmarked_reports_folder_of_an_older_version_is_adopted(tmp_path: Path) -> None:
    root = project(tmp_path)
    assert netra(root, "-c", "u", "--plain").code == 0
    (root / "reports" / ".netra-reports").unlink()
    assert netra(root, "-c", "u", "--plain").code == 0


def test_cov_deletes_only_its_own_data_in_a_categorys_coverage_folder(tmp_path: Path) -> None:
    root = project(tmp_path)
    folder = root / "reports" / "categories" / "u" / "coverage"
    folder.mkdir(parents=True)
    (folder / "keep.txt").write_text("not coverage data")
    (folder / ".coverage.old.1.x").write_text("an earlier run's")
    ran = netra(root, "-c", "u", "--plain", "--cov")
    assert ran.code == 0, ran.out + ran.err
    assert (folder / "keep.txt").read_text() == "not coverage data"
    assert not (folder / ".coverage.old.1.x").exists()


def test_report_merge_never_writes_into_a_folder_of_the_users(tmp_path: Path) -> None:
    root = project(tmp_path)
    assert netra(root, "-c", "u", "--plain").code == 0
    (root / "mine").mkdir()
    (root / "mine" / "report.json").write_text("{}")
    ran = netra(root, "report", "merge", "reports", "-o", "mine")
    assert ran.code == 2, ran.out + ran.err
    assert "--output mine: " in ran.err and (root / "mine" / "report.json").read_text() == "{}"
    ran = netra(root, "report", "merge", "reports", "-o", "merged.xml")
    assert ran.code == 2 and "not a file" in ran.err
    assert not (root / "merged.xml").exists()
    assert netra(root, "report", "merge", "reports", "-o", "merged").code == 0
