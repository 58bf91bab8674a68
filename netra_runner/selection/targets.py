"""Paths and node ids given on the command line (positional, or --file), in the categories
whose paths hold them: `tests/unit/test_x.py::test_y` runs exactly that test, with the
services and settings of each category that holds it.

Paths resolve the way the category's paths do (symlinks followed), and each target is given
to pytest spelled under the category's own path, so its ids are the ids a whole run gives.
"""

from __future__ import annotations

import dataclasses
import difflib
import posixpath
from dataclasses import dataclass
from pathlib import Path

from netra_runner.errors import UsageError
from netra_runner.selection.categories import Selected, Selection

MAX_SUGGESTIONS = 3


@dataclass(frozen=True)
class Target:
    given: str  # as typed
    file: Path  # the file or folder it names, resolved
    rest: str = ""  # what follows the first '::' (TestX::test_y[p]), or ""

    @classmethod
    def parse(cls, text: str, cwd: Path, root: Path) -> Target:
        path, _, rest = text.partition("::")
        try:
            file = (cwd / path).resolve()
            exists = file.exists()
        except (OSError, ValueError):  # too long a name, a NUL in it
            exists = False
        if not exists:
            raise UsageError(f"{text}: no such file or folder")
        if not file.is_relative_to(root.resolve()):
            raise UsageError(f"{text} is outside the project ({root})")
        return cls(text, file, rest)

    def under(self, category_path: str, root: Path) -> str | None:
        """This target spelled under a category path that holds it, or None."""
        base, _, narrowed = category_path.partition("::")
        real = (root / base).resolve()
        if not self.rest and self.file in real.parents:
            return category_path  # a folder above the category's path: all of it, as pytest
        if self.file != real and real not in self.file.parents:
            return None
        if narrowed:  # the category holds one test (or class) of that file, not all of it
            if self.file != real:
                return None
            if not self.rest:
                return category_path
            return f"{base}::{self.rest}" if _within(self.rest, narrowed) else None
        inside = self.file.relative_to(real).as_posix()
        spelled = base if inside == "." else posixpath.normpath(posixpath.join(base, inside))
        return f"{spelled}::{self.rest}" if self.rest else spelled


def _within(rest: str, narrowed: str) -> bool:
    return rest == narrowed or rest.startswith(f"{narrowed}::") or rest.startswith(f"{narrowed}[")


def only_targets(
    selection: Selection, texts: tuple[str, ...], cwd: Path, root: Path, explicit: bool
) -> Selection:
    """Keep the categories whose paths hold these targets, narrowed to them; with categories
    named explicitly (-c, --all), only those are searched."""
    for text in texts:
        if text in selection.config.categories and not (cwd / text).exists():
            raise UsageError(f"{text}: no such file or folder; to run the category: -c {text}")
    targets = [Target.parse(text, cwd, root) for text in texts]
    kept: list[Selected] = []
    held: set[str] = set()
    for entry in selection.entries:
        inside = _held(entry, targets, root)
        held |= {target.given for target, _ in inside}
        if inside:
            why = entry.why if explicit else "holds a test path given"
            spelled = tuple(dict.fromkeys(spelling for _, spelling in inside))
            kept.append(dataclasses.replace(entry, targets=spelled, why=why))
    for target in targets:
        if target.given not in held:
            raise UsageError(_nowhere(target, selection, root))
    return Selection(selection.config, kept)


def _held(entry: Selected, targets: list[Target], root: Path) -> list[tuple[Target, str]]:
    found = []
    for target in targets:
        for path in entry.category.paths:
            spelling = target.under(path, root)
            if spelling is not None:
                found.append((target, spelling))
                break
    return found


def _nowhere(target: Target, selection: Selection, root: Path) -> str:
    relative = target.file.relative_to(root.resolve()).as_posix()
    paths = {path: entry.name for entry in selection.entries for path in entry.category.paths}
    close = difflib.get_close_matches(relative, list(paths), n=MAX_SUGGESTIONS, cutoff=0.0)
    shown = ", ".join(f"{path} ({paths[path]})" for path in close)
    searched = "the selected categories" if paths else "no category with paths"
    hint = f"; the closest category paths: {shown}" if shown else ""
    return f"{target.given} is not under the paths of {searched}{hint}"
