"""Real open-source suites for scripts/bench.py: packages whose wheel or sdist ships its tests,
fetched from PyPI by the script itself (`pip download`, cached) and unpacked into a project
folder that every tool runs from, the same way.

The versions are pinned: a benchmark compares tools, and a new release would move every
number at once.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

CACHE = Path.home() / ".cache" / "netra-bench"


@dataclass(frozen=True)
class RealSuite:
    name: str
    requirement: str  # what pip downloads, pinned
    sdist: bool  # the tests ship in the sdist (unpacked) rather than in the wheel
    paths: tuple[str, ...]  # test paths, in the project folder
    note: str

    def prepare(self, folder: Path) -> dict[str, str]:
        """Unpack it into `folder` (created): returns the environment every tool runs with."""
        archive = self._download()
        if self.sdist:
            with tarfile.open(archive) as tar:
                _unpack(tar, folder)
            _pip("install", "--no-deps", "--target", str(folder / "site"), str(folder))
        else:
            folder.mkdir(parents=True)
            _pip("install", "--no-deps", "--target", str(folder / "site"), str(archive))
            (folder / "pytest.ini").write_text("[pytest]\n")  # the wheel carries no config
        return {"PYTHONPATH": str(folder / "site")}

    def _download(self) -> Path:
        kind = "--no-binary" if self.sdist else "--only-binary"
        target = CACHE / self.requirement
        found = sorted(target.glob("*")) if target.is_dir() else []
        if not found:
            _pip("download", "--no-deps", kind, ":all:", "--dest", str(target), self.requirement)
            found = sorted(target.glob("*"))
        return found[0]


def _unpack(tar: tarfile.TarFile, folder: Path) -> None:
    """An sdist holds one top folder: its contents become `folder`."""
    staging = folder.with_name(folder.name + ".unpack")
    tar.extractall(staging, filter="data")
    (top,) = staging.iterdir()
    shutil.move(str(top), str(folder))
    staging.rmdir()


def _pip(*args: str) -> None:
    argv = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"pip {' '.join(args)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


REAL = {
    "networkx": RealSuite(
        "networkx",
        "networkx==3.6.1",
        sdist=False,
        paths=("site/networkx",),
        note="graph library, service-free; its wheel ships about 6,900 tests (numpy-only "
        "tests run where numpy is installed, the others skip)",
    ),
    "attrs": RealSuite(
        "attrs",
        "attrs==26.1.0",
        sdist=True,
        paths=("tests",),
        note="about 1,400 tests, many of them hypothesis properties: durations from "
        "microseconds to a second",
    ),
}
