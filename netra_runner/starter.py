"""`netra-run init`: a starter categories.yaml for the project it is run in.

A category per test folder found (a tests/ folder with test modules in subfolders gives one
per subfolder), the markers the project declares as a comment to select by, and commented
service examples. It never overwrites a config.
"""

from __future__ import annotations

import configparser
import re
from pathlib import Path
from typing import Any

from netra_runner.config.load import FILENAME
from netra_runner.errors import UsageError

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
    target.write_text(starter_text(categories, declared_markers(root)), encoding="utf-8")
    names = ", ".join(categories)
    return f"wrote {target} with {len(categories)} categories ({names}); then: netra-run --all"


def starter_text(categories: dict[str, str], markers: list[str]) -> str:
    lines = ["# Written by netra-run init: one category per test folder found.", "version: 1", ""]
    lines += ["defaults:", "  timeout: 300            # seconds per test", ""]
    lines += [SERVICES.rstrip(), "", "categories:"]
    for name, path in categories.items():
        lines += [f"  {name}:", f"    paths: [{_quoted(path)}]"]
        lines += ["    # services: [postgres, redis]"] if name != "unit" else []
    if markers:
        lines += ["", f"# markers this project declares: {', '.join(markers)}"]
        lines += [f"# a category can select by them: markers: {markers[0]}"]
    return "\n".join(lines) + "\n"


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
