"""A static import graph of a project's Python files: who imports what, without running it."""

from __future__ import annotations

import ast
import os
import re
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path

_MODULE_WORD = re.compile(r"[A-Za-z_][\w]*(\.[A-Za-z_]\w*)*(:[A-Za-z_][\w.]*)?")
SKIPPED_DIRS = {"node_modules", "build", "dist", "site-packages", "__pycache__"}


def python_files(root: Path) -> Iterator[str]:
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS]
        for name in files:
            if name.endswith(".py"):
                yield Path(folder, name).relative_to(root).as_posix()


def module_name(file: str, root: Path) -> str:
    """The name it is imported by: its path from the first folder up that is not a package."""
    parts = file.removesuffix(".py").split("/")
    start = len(parts) - 1
    while start > 0 and (root / "/".join(parts[:start]) / "__init__.py").exists():
        start -= 1
    names = parts[start:]
    return ".".join(names[:-1] if names[-1] == "__init__" else names)


class ImportGraph:
    def __init__(self, root: Path, files: Iterable[str]) -> None:
        self.files = list(files)
        self.by_module: dict[str, list[str]] = {}
        for file in self.files:
            self.by_module.setdefault(module_name(file, root), []).append(file)
        self.importers: dict[str, set[str]] = {}
        for file in self.files:
            for imported in self._imports(root, file):
                self.importers.setdefault(imported, set()).add(file)

    @classmethod
    def of(cls, root: Path) -> ImportGraph:
        return cls(root, python_files(root))

    def affected(self, changed: Iterable[str]) -> dict[str, str]:
        """Every file that imports a changed file, directly or not: file -> the changed file."""
        found: dict[str, str] = {}
        queue = deque((file, file) for file in changed)
        while queue:
            file, cause = queue.popleft()
            for importer in self.importers.get(file, ()):
                if importer not in found:
                    found[importer] = cause
                    queue.append((importer, cause))
        return found

    def _imports(self, root: Path, file: str) -> set[str]:
        try:
            tree = ast.parse((root / file).read_text(encoding="utf-8", errors="replace"))
        except (SyntaxError, ValueError, OSError):
            return set()  # a broken file imports nothing we can see; its own change still counts
        package = module_name(file, root).rpartition(".")[0]
        if file.endswith("__init__.py"):
            package = module_name(file, root)
        targets: set[str] = set()
        for node in ast.walk(tree):
            for name in _names(node, package):
                targets |= self._files_for(name)
            targets |= self._named(node)
        targets.discard(file)
        return targets

    def _named(self, node: ast.AST) -> set[str]:
        """A string that names one of the project's modules is how code is run without an
        import: `python -m pkg` in a subprocess, uvicorn's `"app.main:app"`,
        `importlib.import_module("pkg.mod")`. It counts as importing it (a package run with
        -m runs its __main__ too)."""
        if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
            return set()
        if not _MODULE_WORD.fullmatch(node.value):
            return set()
        name = node.value.partition(":")[0]
        if name not in self.by_module:
            return set()
        return self._files_for(name) | set(self.by_module.get(f"{name}.__main__", ()))

    def _files_for(self, name: str) -> set[str]:
        """The module and the packages above it (importing a.b.c runs a and a.b too)."""
        parts = name.split(".")
        return {
            f for i in range(1, len(parts) + 1) for f in self.by_module.get(".".join(parts[:i]), ())
        }


def _names(node: ast.AST, package: str) -> list[str]:
    if isinstance(node, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == "pytest_plugins" for t in node.targets
    ):
        return _plugin_names(node.value)  # loaded by pytest by name: imports all the same
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = _absolute(node.module, node.level, package)
        # `from pkg import mod` may name a module as well as an attribute.
        return [base, *(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")]
    return []


def _plugin_names(value: ast.expr) -> list[str]:
    items = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
    return [i.value for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)]


def _absolute(module: str | None, level: int, package: str) -> str:
    if level == 0:
        return module or ""
    parts = package.split(".") if package else []
    parts = parts[: len(parts) - (level - 1)] if level > 1 else parts
    return ".".join([*parts, *([module] if module else [])])
