"""`netra-run init` on real project layouts, and completion of names from the config."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers import QUIET, netra


def layout(root: Path, files: list[str]) -> Path:
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("def test_it():\n    pass\n" if "test" in name else "")
    return root


def test_init_writes_a_category_per_test_folder_that_runs(tmp_path: Path) -> None:
    root = layout(
        tmp_path,
        [
            "tests/unit/test_a.py",
            "tests/integration/test_b.py",
            "services/api/tests/test_c.py",
            ".venv/lib/tests/test_vendored.py",
            "node_modules/x/tests/test_y.py",
        ],
    )
    (root / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\nmarkers = ["slow: takes long", "db"]\n'
    )
    missing = netra(root, "--all")
    assert missing.code == 2 and "'netra-run init'" in missing.err
    wrote = netra(root, "init")
    assert wrote.code == 0, wrote.out + wrote.err
    text = (root / "categories.yaml").read_text()
    assert "# markers this project declares: slow, db" in text and "#   postgres:" in text
    listed = netra(root, "--list")
    for name, path in (
        ("unit", "tests/unit"),
        ("integration", "tests/integration"),
        ("api", "services/api/tests"),
    ):
        assert any(line.split()[:2] == [name, path] for line in listed.out.splitlines()), listed.out
    assert "vendored" not in text and "node_modules" not in text
    ran = netra(root, "--all")
    assert ran.code == 0 and ran.last_line.startswith("netra-run: 3 passed")
    again = netra(root, "init")
    assert again.code == 2 and "never overwrites" in again.err


def test_a_flat_tests_folder_is_one_category(tmp_path: Path) -> None:
    root = layout(tmp_path, ["tests/test_a.py", "tests/helpers/__init__.py"])
    assert netra(root, "init").code == 0
    assert "  unit:\n    paths: [tests]\n" in (root / "categories.yaml").read_text()


def test_completion_offers_the_configs_names(tmp_path: Path) -> None:
    layout(tmp_path, ["tests/test_a.py"])
    (tmp_path / "categories.yaml").write_text(
        "version: 1\nservices:\n  redis: {image: r}\ncategories:\n"
        "  unit: {paths: [tests]}\n  api: {paths: [tests]}\nprofiles:\n  laptop: {}\n"
    )

    def complete(*words: str) -> list[str]:
        env = {**os.environ, **QUIET, "_NETRA_RUN_COMPLETE": "complete_bash"}
        env |= {"COMP_WORDS": " ".join(["netra-run", *words]), "COMP_CWORD": str(len(words))}
        done = subprocess.run(
            [sys.executable, "-m", "netra_runner"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return done.stdout.split()

    assert complete("-c", "a") == ["api"]
    assert complete("-c", "unit,") == ["unit,unit", "unit,api"]
    assert complete("--profile", "") == ["laptop", "ci", "pre-push"]
    assert complete("services", "logs", "r") == ["redis"]
