"""The Python a pytest category runs in: netra-run's own, or the one the category names.

A monorepo often gives each service its own virtualenv, and netra-run may be installed apart
from all of them (pipx). A category may name its interpreter (`python: .venv` or
`python: [.venv/bin/python, -bb]`); its suite then runs there, and netra-run's plugin is
put on that interpreter's path (a folder holding only the netra_runner package), so it
needs nothing of netra-run installed. The plugin imports the standard library, pytest and
(with workers) pytest-xdist only.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import netra_runner

if TYPE_CHECKING:  # config/paths.py checks interpreters with this module: no cycle
    from netra_runner.config.model import Category, Defaults

PROBE_TIMEOUT = 60.0
MIN_PYTEST = (8, 0)
MIN_PYTHON = (3, 10)
# What the named interpreter says of itself: its version, and pytest's and xdist's.
_PROBE = """
import json, sys
from importlib import metadata
def version(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
print(json.dumps({"python": list(sys.version_info[:3]), "executable": sys.executable,
                  "pytest": version("pytest"), "xdist": version("pytest-xdist")}))
"""


@dataclass(frozen=True)
class Interpreter:
    argv: tuple[str, ...]  # the executable, then its own flags (-bb, -X dev)
    named: bool  # False: netra-run's own interpreter

    @property
    def executable(self) -> str:
        return self.argv[0]

    @property
    def shown(self) -> str:
        return " ".join(self.argv) + ("" if self.named else " (netra-run's own)")


def own() -> Interpreter:
    return Interpreter((sys.executable,), named=False)


def resolve(python: tuple[str, ...] | None, root: Path) -> Interpreter:
    """A category's `python`: an executable, or a virtualenv folder, relative to the project
    root; a bare name (python3.12) is looked up on PATH."""
    if not python:
        return own()
    return Interpreter((str(executable(python[0], root)), *python[1:]), named=True)


def of_category(category: Category, defaults: Defaults, root: Path) -> Interpreter:
    """The interpreter a category's pytest runs in: its own `python`, else the defaults';
    a command suite names its own."""
    if not category.is_pytest:
        return own()
    return resolve(category.python or defaults.python, root)


def executable(name: str, root: Path) -> Path:
    """Where `name` points; it may not exist (config/paths.py says so, with the line)."""
    path = root / Path(name).expanduser()
    if "/" not in name and os.sep not in name and not path.exists():
        found = shutil.which(name)
        return Path(found) if found else path
    if path.is_dir():
        return path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    return path


def problem(name: str, root: Path) -> str | None:
    """Why `name` cannot run a suite, or None."""
    path = executable(name, root)
    if path.is_file() and os.access(path, os.X_OK):
        return None
    if (root / name).is_dir():
        return f"{name!r} is a folder with no {path.relative_to(root / name)} (not a virtualenv)"
    if "/" not in name:
        return f"no interpreter {name!r} on PATH"
    return f"no interpreter {name!r} in {root}"


@dataclass(frozen=True)
class Facts:
    """What an interpreter has, for running a suite."""

    python: tuple[int, ...] = ()
    pytest: str | None = None
    xdist: str | None = None
    error: str = ""  # it did not start, or said nothing readable

    def unfit(self) -> str | None:
        """Why no suite can run there, or None."""
        if self.error:
            return self.error
        if self.python < MIN_PYTHON:
            shown = ".".join(map(str, self.python))
            return f"it is Python {shown}; netra-run's plugin needs 3.10 or later"
        if self.pytest is None:
            return "it has no pytest (install pytest there)"
        if _version(self.pytest) < MIN_PYTEST:
            return f"it has pytest {self.pytest}; netra-run's plugin needs pytest 8 or later"
        return None


@functools.cache
def probe(argv: tuple[str, ...]) -> Facts:
    try:
        done = subprocess.run(
            [*argv, "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT,
            stdin=subprocess.DEVNULL,
            env={k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")},
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Facts(error=f"it did not start: {exc}")
    try:
        said = json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        lines = done.stderr.strip().splitlines() or ["no output"]
        said = lines[0] if len(lines) == 1 else f"{lines[0]} ... {lines[-1]}"
        return Facts(error=f"it did not answer as a Python (exit code {done.returncode}): {said}")
    return Facts(tuple(said["python"]), said.get("pytest"), said.get("xdist"))


def _version(text: str) -> tuple[int, ...]:
    parts = []
    for part in text.split(".")[:2]:
        digits = "".join(c for c in part if c.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def environment(interpreter: Interpreter, env: dict[str, str]) -> dict[str, str]:
    """The suite's environment for a named interpreter: the plugin on its path, and its
    virtualenv active (VIRTUAL_ENV, its bin first on PATH), as if a user had activated it."""
    if not interpreter.named:
        return env
    env = dict(env)
    paths = [str(plugin_folder()), env.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    bin_dir = Path(interpreter.executable).parent
    venv = bin_dir.parent
    if (venv / "pyvenv.cfg").is_file():
        env["VIRTUAL_ENV"] = str(venv)
        env["PATH"] = os.pathsep.join(p for p in (str(bin_dir), env.get("PATH", "")) if p)
    return env


@functools.cache
def plugin_folder() -> Path:
    """A folder holding only the netra_runner package (a link to it), for a suite's own
    interpreter: putting netra-run's site-packages on its path would bring every package
    installed beside netra-run into the suite. Removed when netra-run exits."""
    folder = Path(tempfile.mkdtemp(prefix="netra-plugin-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    (folder / "netra_runner").symlink_to(Path(netra_runner.__file__).parent, True)
    return folder


def in_pre_commit_environment() -> bool:
    """netra-run runs in an environment pre-commit made for it (a hook with
    `language: python`): the project's test dependencies are not there."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path("~/.cache").expanduser())
    home = os.environ.get("PRE_COMMIT_HOME") or cache / "pre-commit"
    return bool(os.environ.get("PRE_COMMIT")) and Path(sys.prefix).is_relative_to(home)


PRE_COMMIT_NOTE = (
    "netra-run runs in pre-commit's own environment, which lacks the project's test "
    "dependencies: use its hook with `language: system` (this repository's "
    ".pre-commit-hooks.yaml), or name the project's interpreter in `defaults.python`"
)
