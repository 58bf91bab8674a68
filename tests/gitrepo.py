"""A small project in a real git repository: an app package and tests importing it."""

from __future__ import annotations

import subprocess
from pathlib import Path

FILES = {
    "categories.yaml": (
        "version: 1\ncategories:\n  unit: {paths: [tests/unit]}\n  api: {paths: [tests/api]}\n"
    ),
    "app/__init__.py": "",
    "app/core.py": "def answer():\n    return 42\n",
    "app/api.py": "from .core import answer\n\n\ndef handler():\n    return answer()\n",
    "tests/unit/test_core.py": "from app.core import answer\n\n\ndef test_core():\n    assert answer() == 42\n",
    "tests/unit/test_other.py": "def test_other():\n    assert True\n",
    "tests/api/test_api.py": "from app import api\n\n\ndef test_api():\n    assert api.handler() == 42\n",
    "README.md": "a project\n",
}


IDENTITY = ("-c", "user.name=t", "-c", "user.email=t@t")


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def make_repo(folder: Path, files: dict[str, str] = FILES) -> Path:
    """The files (FILES unless given) in a new repository on branch main, committed."""
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    (folder / ".gitignore").write_text("reports/\n.netra/\n__pycache__/\n")
    git(folder, "init", "-q", "-b", "main")
    git(folder, "add", "-A")
    git(folder, *IDENTITY, "commit", "-qm", "start")
    return folder
