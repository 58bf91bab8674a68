"""--changed and --changed-since REF: the categories and test files a change touches.

A changed file selects the categories whose paths hold it (a test module: that module; any
other file: the whole category) and every test module that imports it, directly or through
other modules (a static import graph). Tests depend on the conftest files above them too:
a change a conftest reaches (the app its fixture builds, a plugin in its pytest_plugins)
selects every test under that conftest's folder. A data file inside a package counts as a
change to the package's modules. A change to what every test depends on (the config, the
dependencies) selects everything. Where no import explains a change, what the last --cov
runs measured does (cover/touches.py): the tests they saw run the file, or the category
when only the category is known; a changed Python file that nothing ties to a test runs
every pytest category, and says so.
"""

from __future__ import annotations

import posixpath
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from netra_runner.config.model import Config
from netra_runner.config.paths import holds
from netra_runner.cover import touches
from netra_runner.errors import NothingToRun, UsageError
from netra_runner.selection.categories import Selection
from netra_runner.selection.imports import ImportGraph
from netra_runner.selection.pushes import pushed_files

UPSTREAM = "@{upstream}"
OWN_STATE = ".netra/"
EVERYTHING = (
    "categories.yaml",
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
    graph = ImportGraph.of(root)
    reach = Reach.of(graph, root, changed)
    result = Touched()
    ran = touches.running(touches.load(root), changed)
    tested = _measured_tests(root, changed)
    for entry in selection.entries:
        paths = entry.category.paths or (entry.category.cwd or ".",)
        for file in changed:
            if holds(paths, file) and not (entry.category.is_pytest and _is_conftest(file)):
                _select(result, entry.name, entry.category.is_pytest, file, f"{file} changed")
        if entry.category.is_pytest:
            _through_imports(result, entry.name, paths, reach, graph.files)
            for test, cause in tested.items():
                if holds(paths, test.partition("::")[0]):
                    why = f"the last --cov run saw it run {cause}"
                    result.files.setdefault(entry.name, {}).setdefault(test, why)
        if entry.name in ran and entry.name not in result.files:
            # No import reaches it, yet it ran the file: all of it, as nothing says which test.
            why = f"{ran[entry.name]} changed, and the last --cov run saw this category run it"
            result.whole.setdefault(entry.name, why)
    covered = {*ran.values(), *tested.values()}
    _run_all_when_unexplained(result, selection, reach.unexplained(selection.config, covered))
    return result


def _measured_tests(root: Path, changed: list[str]) -> dict[str, str]:
    """Test id -> the changed file the last --cov runs saw it run (per-test contexts)."""
    found: dict[str, str] = {}
    for file, tests in touches.load_tests(root).items():
        if file in changed:
            for test in tests:
                found.setdefault(test, file)
    return found


def _run_all_when_unexplained(result: Touched, selection: Selection, files: list[str]) -> None:
    """Code that no import, conftest or coverage map ties to a test may still be reached
    (loaded by name, run in a subprocess): every pytest category runs rather than none."""
    if not files:
        return
    why = f"{files[0]} changed, and no import, conftest or coverage map ties it to a test"
    for entry in selection.entries:
        if entry.category.is_pytest:
            result.files.pop(entry.name, None)
            result.whole.setdefault(entry.name, why)


@dataclass
class Reach:
    """Where a change reaches through imports: every file that imports a changed one,
    directly or not (file -> the changed file), and the conftest files among them."""

    changed: list[str]
    importers: dict[str, str]
    conftests: dict[str, str]  # conftest.py -> why the tests under its folder depend on it

    @classmethod
    def of(cls, graph: ImportGraph, root: Path, changed: list[str]) -> Reach:
        python = [f for f in changed if f.endswith(".py")]
        # A template, a migration's SQL, a JSON fixture inside a package is read by the
        # package's own modules: a change to it is a change to them.
        data = {m: f for f in changed if not f.endswith(".py") for m in package_modules(root, f)}
        importers = graph.affected([*python, *data])
        for module, file in data.items():
            importers.setdefault(module, file)
        importers = {f: data.get(cause, cause) for f, cause in importers.items()}
        conftests = {f: f"{f} changed" for f in python if _is_conftest(f)}
        for file, cause in importers.items():
            if _is_conftest(file):
                conftests.setdefault(file, f"its {file} imports {cause}")
        return cls(changed, importers, conftests)

    def unexplained(self, config: Config, covered: set[str]) -> list[str]:
        """Changed Python files in no category's paths that reach no test and no conftest."""
        every = [c.paths or (c.cwd or ".",) for c in config.categories.values()]
        reached = {
            cause for file, cause in self.importers.items() if _is_test(file) or _is_conftest(file)
        }
        return [
            f
            for f in self.changed
            if f.endswith(".py")
            and not _is_conftest(f)
            and not _is_test(f)
            and f not in reached
            and f not in covered
            and not any(holds(paths, f) for paths in every)
        ]


def _through_imports(
    result: Touched, name: str, paths: tuple[str, ...], reach: Reach, files: list[str]
) -> None:
    for file, cause in reach.importers.items():
        if holds(paths, file) and _is_test(file):
            result.files.setdefault(name, {}).setdefault(file, f"imports {cause}")
    for conftest, why in reach.conftests.items():
        folder = posixpath.dirname(conftest)
        if any(_under(path, folder) for path in paths):
            result.whole.setdefault(name, why)  # every test of the category is under it
        elif holds(paths, conftest):
            for test in (f for f in files if _is_test(f) and _under(f, folder)):
                if holds(paths, test):
                    result.files.setdefault(name, {}).setdefault(test, why)


def package_modules(root: Path, file: str) -> list[str]:
    """The modules of the innermost package holding a data file (none outside packages)."""
    folder = posixpath.dirname(file)
    while folder and not (root / folder / "__init__.py").is_file():
        folder = posixpath.dirname(folder)
    if not folder:
        return []
    return sorted(
        posixpath.join(folder, p.name) for p in (root / folder).glob("*.py") if p.is_file()
    )


def _under(path: str, folder: str) -> bool:
    path = posixpath.normpath(path)
    return folder in ("", ".") or path == folder or path.startswith(folder.rstrip("/") + "/")


def _is_conftest(file: str) -> bool:
    return posixpath.basename(file) == "conftest.py"


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
    # Ids the coverage map remembers may be gone: pytest keeps those it collects.
    return selection.only_tests(
        chosen, set(found.whole), "touched by the change", whys, filtered=True
    )
