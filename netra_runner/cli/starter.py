"""`netra-run init`: a starter categories.yaml for the project it is run in.

A category per test folder found (a tests/ folder with test modules in subfolders gives one
per subfolder), the markers the project declares as a comment to select by, and commented
service examples. It never overwrites a config.
"""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from netra_runner.config.compose import compose_services, find_compose
from netra_runner.config.load import FILENAME
from netra_runner.errors import UsageError

OWN_STATE = ("reports/", ".netra/*", "!.netra/durations.json")  # .gitignore lines
SKIP = {"node_modules", "site-packages", "build", "dist", "__pycache__", "venv", "env"}
TEST_FOLDERS = {"tests", "test", "testing"}
MAX_DEPTH = 4
INI_FILES = (("pytest.ini", "pytest"), ("tox.ini", "pytest"), ("setup.cfg", "tool:pytest"))

SERVICES = """\
# services:                 # what categories need, started and health-checked per run
#   postgres:
#     image: postgres:16-alpine
#     env: {POSTGRES_USER: app, POSTGRES_PASSWORD: app, POSTGRES_DB: app_test}
#     ports: [5432]
#     healthcheck: {exec: [pg_isready, -h, 127.0.0.1, -U, app, -d, app_test]}
#     exports: {DATABASE_URL: "postgresql://app:app@{host}:{port:5432}/app_test"}
#   redis:
#     image: redis:7-alpine
#     ports: [6379]
#     healthcheck: {exec: [redis-cli, ping]}
#     exports: {REDIS_URL: "redis://{host}:{port:6379}/0"}
"""


def write_starter(root: Path) -> str:
    target = root / FILENAME
    if target.exists():
        raise UsageError(f"{target} exists; netra-run init never overwrites a config")
    categories = find_categories(root)
    if not categories:
        raise UsageError(
            f"no test folder found in {root} (a 'tests' folder, or test_*.py files); "
            "write categories.yaml by hand (README: Configuration)"
        )
    composed = compose_plan(root, categories)
    folders = _setting_folders(root)
    text = starter_text(categories, declared_markers(root), composed, folders, root)
    target.write_text(text, encoding="utf-8")
    ignored = _ignore_own_state(root)
    names = ", ".join(categories)
    said = f"wrote {target} with {len(categories)} categories ({names})"
    if composed is not None:
        said += f", services from {composed.file}"
    if ignored:
        said += f"; added {', '.join(ignored)} to .gitignore"
    return f"{said}; then: netra-run --all"


@dataclass(frozen=True)
class Composed:
    """What init takes from a compose file: its name, the services it runs from images,
    and which of them each category needs (the compose service built from the folder the
    category's tests are in depends on them)."""

    file: str
    services: dict[str, dict[str, Any]]
    needs: dict[str, list[str]] = field(default_factory=dict)
    env_file: str | None = None  # the .env beside it: the settings the app reads


def compose_plan(root: Path, categories: dict[str, str]) -> Composed | None:
    files = find_compose(root)
    if not files:
        return None
    services = compose_services(root, (files[0],))
    builds = _built_from(root / files[0])
    needs: dict[str, list[str]] = {}
    for name, path in categories.items():
        for folder, depends in builds.items():
            if path == folder or path.startswith(folder.rstrip("/") + "/") or folder == ".":
                needs[name] = [d for d in depends if d in services]
    return Composed(files[0], services, needs, ".env" if (root / ".env").is_file() else None)


def _built_from(file: Path) -> dict[str, list[str]]:
    """Build folder (from the root) -> the services the compose service built there
    depends on."""
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}
    found: dict[str, list[str]] = {}
    for spec in (data.get("services") or {}).values():
        build = spec.get("build") if isinstance(spec, dict) else None
        context = build.get("context") if isinstance(build, dict) else build
        if isinstance(context, str) and spec.get("depends_on"):
            folder = Path(context).as_posix().removeprefix("./").rstrip("/") or "."
            found[folder] = [str(d) for d in spec["depends_on"]]
    return found


def _setting_folders(root: Path) -> set[str]:
    """Folders below the root with their own pytest settings: a suite there runs there."""
    found = set()
    for name in ("pyproject.toml", "pytest.ini", "setup.cfg", "tox.ini"):
        for path in root.glob(f"*/{name}"):
            if path.parent.name not in SKIP and not path.parent.name.startswith("."):
                found.add(path.parent.relative_to(root).as_posix())
    return found


def _ignore_own_state(root: Path) -> list[str]:
    """reports/ and netra-run's own state in .gitignore (the durations history stays: it is
    meant to be committed, so every machine and shard orders and balances the same)."""
    if not (root / ".git").exists():
        return []
    ignore = root / ".gitignore"
    text = ignore.read_text(encoding="utf-8", errors="replace") if ignore.is_file() else ""
    present = text.splitlines()
    wanted = [
        line for line in ("reports/", ".netra/*", "!.netra/durations.json") if line not in present
    ]
    if not wanted:
        return []
    lead = "\n" if present and present[-1].strip() else ""
    with ignore.open("a", encoding="utf-8") as out:
        out.write(
            f"{lead}# netra-run: reports and local state\n" + "".join(f"{w}\n" for w in wanted)
        )
    return [w for w in wanted if not w.startswith("!")]


def starter_text(
    categories: dict[str, str],
    markers: list[str],
    composed: Composed | None = None,
    setting_folders: set[str] | frozenset[str] = frozenset(),
    root: Path | None = None,
) -> str:
    lines = ["# Written by netra-run init: one category per test folder found.", "version: 1"]
    if composed is not None:
        lines += [f"compose: {composed.file}   # the services come from here (one definition)"]
    lines += ["", "defaults:", "  timeout: 300            # seconds per test"]
    if composed is not None and composed.services:
        lines += ["  real_services: true     # start the services a run's categories need"]
    lines += [""]
    lines += _services_text(composed) if composed is not None else [SERVICES.rstrip(), ""]
    lines += ["categories:"]
    for name, path in categories.items():
        lines += [f"  {name}:", f"    paths: [{_quoted(path)}]"]
        folder = next((f for f in sorted(setting_folders) if path.startswith(f + "/")), None)
        if folder is not None:
            lines += [f"    cwd: {_quoted(folder)}             # it has its own pytest settings"]
            lines += _setup_hints(folder, root)
        if composed is not None and composed.env_file:
            lines += [f"    env_file: {composed.env_file}"]
        needs = composed.needs.get(name) if composed is not None else None
        if needs:
            lines += [f"    services: [{', '.join(needs)}]"]
        elif composed is not None and composed.services:
            lines += [f"    # services: [{', '.join(composed.services)}]"]
        elif composed is None and name != "unit":
            lines += ["    # services: [postgres, redis]"]
    if markers:
        lines += ["", f"# markers this project declares: {', '.join(markers)}"]
        lines += [f"# a category can select by them: markers: {markers[0]}"]
    return "\n".join(lines) + "\n"


def _services_text(composed: Composed) -> list[str]:
    if not composed.services:
        return []
    lines = [f"services:                  # over {composed.file}'s: what compose cannot say"]
    for name, spec in composed.services.items():
        lines += [f"  {name}:"]
        exports = ", ".join(spec.get("exports", {}))
        if exports:
            lines += [f"    # exports (from its image, {spec.get('image')}): {exports}"]
        lines += ["    # isolate: worker        # each worker its own copy of its data"]
        lines += ["    # setup: [[python, -m, app.migrate]]   # once it is healthy"]
    return [*lines, ""]


def _setup_hints(folder: str, root: Path | None) -> list[str]:
    """The migrations init can see, offered as the category's set-up (run in its folder)."""
    if root is None or not (root / folder / "alembic.ini").is_file():
        return []
    return ["    # setup: [[alembic, upgrade, head]]   # its migrations, before its tests"]


def find_categories(root: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for folder in _test_folders(root):
        parts = [
            child for child in sorted(folder.iterdir()) if child.is_dir() and _holds_tests(child)
        ]
        for path in parts if parts and not _has_own_tests(folder) else [folder]:
            relative = path.relative_to(root).as_posix()
            found[_unique(_name(path, folder, root), found)] = relative
    return found


def _test_folders(root: Path) -> list[Path]:
    folders = []
    queue = [(root, 0)]
    while queue:
        folder, depth = queue.pop(0)
        try:
            children = sorted(c for c in folder.iterdir() if c.is_dir())
        except OSError:
            continue
        for child in children:
            if child.name.startswith(".") or child.name in SKIP or (child / "pyvenv.cfg").exists():
                continue
            if child.name in TEST_FOLDERS and _holds_tests(child):
                folders.append(child)
            elif depth < MAX_DEPTH:
                queue.append((child, depth + 1))
    return folders


def _holds_tests(folder: Path) -> bool:
    return any(_is_test(f.name) for f in folder.rglob("*.py"))


def _has_own_tests(folder: Path) -> bool:
    return any(_is_test(f.name) for f in folder.glob("*.py"))


def _is_test(name: str) -> bool:
    return name.startswith("test_") or name.endswith("_test.py")


def _name(path: Path, folder: Path, root: Path) -> str:
    if path != folder:
        return _safe(path.name)
    owner = folder.parent
    return "unit" if owner == root else _safe(owner.name)


def _safe(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "_", name).strip("_.-")
    return cleaned or "tests"


def _unique(name: str, taken: dict[str, str]) -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    return candidate


def _quoted(path: str) -> str:
    return path if re.fullmatch(r"[A-Za-z0-9_./-]+", path) else repr(path)


def declared_markers(root: Path) -> list[str]:
    """Markers from pyproject.toml, pytest.ini, tox.ini or setup.cfg, by name."""
    lines: list[str] = []
    declared = _pyproject(root / "pyproject.toml").get("tool", {}).get("pytest", {})
    markers = declared.get("ini_options", {}).get("markers")
    lines += [str(m) for m in markers] if isinstance(markers, list) else []
    for name, section in (
        ("pytest.ini", "pytest"),
        ("tox.ini", "pytest"),
        ("setup.cfg", "tool:pytest"),
    ):
        lines += _ini_markers(root / name, section)
    names = [re.split(r"[:(\s]", line.strip(), maxsplit=1)[0] for line in lines if line.strip()]
    return list(dict.fromkeys(n for n in names if n))


def _pyproject(path: Path) -> dict[str, Any]:
    try:
        import tomllib  # Python 3.11+; on 3.10 pyproject's markers are not read
    except ImportError:
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}


def _ini_markers(path: Path, section: str) -> list[str]:
    if not path.is_file():
        return []
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return []
    return parser.get(section, "markers", fallback="").splitlines()
