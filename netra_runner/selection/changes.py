"""--changed and --changed-since REF: the categories and test files a change touches.

A changed file selects the categories whose paths hold it (a test module: that module; any
other file: the whole category) and every test module that imports it, directly or through
other modules (a static import graph). A change to what every test depends on (the config,
a conftest.py, the dependencies) selects everything. A category the last --cov run saw run
a changed file is selected whole when no import explains it (cover/touches.py).
"""

from __future__ import annotations

import posixpath
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from netra_runner.cover import touches
from netra_runner.errors import NothingToRun, UsageError
from netra_runner.pushes import pushed_files
from netra_runner.selection.categories import Selection, holds
from netra_runner.selection.imports import ImportGraph

UPSTREAM = "@{upstream}"
OWN_STATE = ".netra/"
EVERYTHING = (
    "categories.yaml",
    "conftest.py",
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "tox.ini",
    "pytest.ini",
    "requirements.txt",
    "poetry.lock",
    "uv.lock",
    "Pipfile",
    "Pipfile.lock",
)


def changed_files(root: Path, since: str | None) -> list[str] | None:
    """Files changed against HEAD (the working tree, untracked included), or since REF's
    merge base, as paths relative to the project root. `@{upstream}` is what a push sends
    (pushes.py); None when that has nothing to compare with."""
    try:
        _git(root, "rev-parse", "--show-toplevel")
    except UsageError:
        raise UsageError(f"--changed needs a git repository; {root} is not in one") from None
    committed: list[str] = []
    if since == UPSTREAM:
        pushed = pushed_files(root)
        if pushed is None:
            return None
        committed, since = pushed, None
    if since is not None:
        try:
            _git(root, "rev-parse", "--verify", "--quiet", f"{since}^{{commit}}")
        except UsageError:
            raise UsageError(f"--changed-since {since}: no such commit, branch or tag") from None
        committed = _git(root, "diff", "--name-only", "--relative", f"{since}...HEAD")
    working = _git(root, "diff", "--name-only", "--relative", "HEAD")
    untracked = _git(root, "ls-files", "--others", "--exclude-standard")
    # netra-run's own state (the durations history, the coverage map) changes on every
    # run: it is no change of the code, and must not select a category holding the root.
    return sorted({f for f in committed + working + untracked if not f.startswith(OWN_STATE)})


def _git(root: Path, *args: str) -> list[str]:
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=False, timeout=60
        )
    except FileNotFoundError:
        raise UsageError("--changed needs git, and git is not installed") from None
    if done.returncode != 0:
        problem = done.stderr.strip().splitlines()[0] if done.stderr.strip() else "git failed"
        raise UsageError(f"--changed: git {' '.join(args[:1])}: {problem}")
    return [line for line in done.stdout.splitlines() if line]


@dataclass
class Touched:
    whole: dict[str, str] = field(default_factory=dict)  # category -> why
    files: dict[str, dict[str, str]] = field(default_factory=dict)  # category -> file -> why


def touched(selection: Selection, root: Path, changed: list[str]) -> Touched | None:
    """What the change selects; None when it selects everything."""
    if any(posixpath.basename(f) in EVERYTHING for f in changed):
        return None
    python = [f for f in changed if f.endswith(".py")]
    importers = ImportGraph.of(root).affected(python) if python else {}
    result = Touched()
    ran = touches.running(touches.load(root), changed)
    for entry in selection.entries:
        paths = entry.category.paths or (entry.category.cwd or ".",)
        for file in changed:
            if holds(paths, file):
                _select(result, entry.name, entry.category.is_pytest, file, f"{file} changed")
        for file, cause in importers.items():
            if entry.category.is_pytest and holds(paths, file) and _is_test(file):
                result.files.setdefault(entry.name, {}).setdefault(file, f"imports {cause}")
        if entry.name in ran and entry.name not in result.files:
            # No import reaches it, yet it ran the file: all of it, as nothing says which test.
            why = f"{ran[entry.name]} changed, and the last --cov run saw this category run it"
            result.whole.setdefault(entry.name, why)
    return result


def _select(result: Touched, category: str, is_pytest: bool, file: str, why: str) -> None:
    if is_pytest and _is_test(file):
        result.files.setdefault(category, {})[file] = why
    else:
        result.whole.setdefault(category, why)


def _is_test(file: str) -> bool:
    name = posixpath.basename(file)
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def narrow_to_changes(selection: Selection, root: Path, since: str | None) -> Selection:
    changed = changed_files(root, since)
    if changed is None:
        return selection.explained("nothing to compare the push with (a first push): everything")
    if not changed:
        against = f"since {since}" if since else "in the working tree"
        raise NothingToRun(f"no file changed {against}: nothing to run")
    found = touched(selection, root, changed)
    if found is None:
        trigger = next(f for f in changed if posixpath.basename(f) in EVERYTHING)
        return selection.explained(f"{trigger} changed: everything")
    chosen = {name: sorted(files) for name, files in found.files.items()}
    whys = {
        # --plan shows every file and its reason: that is what it is asked for.
        name: "; ".join(f"{f}: {w}" for f, w in sorted(files.items()))
        for name, files in found.files.items()
    }
    whys.update(found.whole)
    return selection.only_tests(chosen, set(found.whole), "touched by the change", whys)
