"""Category paths must exist: a misspelt one would otherwise collect nothing and pass."""

from __future__ import annotations

import difflib
import posixpath
from pathlib import Path

from netra_runner.config.model import Config
from netra_runner.config.yaml_source import Source
from netra_runner.interpreters import problem

MAX_CHOICES = 2000  # entries of one folder compared for a suggestion


def check_paths(config: Config, source: Source, root: Path) -> list[str]:
    problems = []
    for name, category in config.categories.items():
        for index, path in enumerate(category.paths):
            if not _exists(root, path):
                where = source.where(("categories", name, "paths", index))
                problems.append(f"{where}: {path!r} does not exist in {root}{_closest(root, path)}")
        problems += _python_problems(config, source, root, name)
        if category.cwd is not None and not (root / category.cwd).is_dir():
            where = source.where(("categories", name, "cwd"))
            problems.append(
                f"{where}: no folder {category.cwd!r} in {root}{_closest(root, category.cwd)}"
            )
        for index, file in enumerate(category.env_file):
            if not (root / file).is_file():
                where = source.where(("categories", name, "env_file", index))
                problems.append(f"{where}: no file {file!r} in {root}{_closest(root, file)}")
    for name, service in config.services.items():
        for index, path in enumerate(service.setup_inputs):
            if not _exists(root, path):
                where = source.where(("services", name, "setup_inputs", index))
                problems.append(f"{where}: {path!r} does not exist in {root}{_closest(root, path)}")
    return list(dict.fromkeys(problems))  # a defaults.python problem is said once


def _python_problems(config: Config, source: Source, root: Path, name: str) -> list[str]:
    python = config.categories[name].python
    key: tuple[str | int, ...] = ("categories", name, "python")
    if python is None:
        python, key = config.defaults.python, ("defaults", "python")
    if python is None or not config.categories[name].is_pytest:
        return []
    found = problem(python[0], root)
    return [] if found is None else [f"{source.where(key)}: {found}"]


def _exists(root: Path, path: str) -> bool:
    """A path may name a test inside a file (tests/x.py::test_y), as pytest allows."""
    file = path.split("::", 1)[0]
    try:
        return (root / file).exists()
    except (OSError, ValueError):  # too long a name, an invalid one
        return False


def _closest(root: Path, path: str) -> str:
    """'; did you mean tests/integration?': the deepest folder that exists, then the entry
    in it closest to the first part that does not."""
    parts = [p for p in posixpath.normpath(path.split("::", 1)[0]).split("/") if p]
    base = root
    for depth, part in enumerate(parts):
        if (base / part).exists():
            base = base / part
            continue
        close = difflib.get_close_matches(part, _entries(base, part), n=1, cutoff=0.6)
        if not close:
            return ""
        guess = [*parts[:depth], close[0], *parts[depth + 1 :]]
        if not (root / "/".join(guess)).exists():
            guess = [*parts[:depth], close[0]]
        return f"; did you mean {'/'.join(guess)}?"
    return ""


def _entries(folder: Path, part: str) -> list[str]:
    try:
        names = [entry.name for _, entry in zip(range(MAX_CHOICES), folder.iterdir(), strict=False)]
    except OSError:
        return []
    return [n for n in names if part.startswith(".") or not n.startswith(".")]


def holds(paths: tuple[str, ...], file: str) -> bool:
    """Whether a project-relative file lies under one of a category's paths."""
    folders = [posixpath.normpath(path) for path in paths]
    return any(f == "." or file == f or file.startswith(f + "/") for f in folders)
