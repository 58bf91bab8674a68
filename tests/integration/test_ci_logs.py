"""The console as a CI log reads it: no terminal, no COLUMNS. Nothing is cut at 80 columns
and no line ends in spaces."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers import QUIET, netra

CATEGORIES = "version: 1\ncategories:\n  a_category_with_a_long_name: {paths: [t]}\n"
TESTS = (
    "import pytest\n\n\ndef test_ok():\n    pass\n\n\n@pytest.mark.xfail\ndef test_x():\n"
    "    assert 0\n\n\n@pytest.mark.skip\ndef test_s():\n    pass\n"
)


def test_a_log_without_a_terminal_reads_whole(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "test_a.py").write_text(TESTS)
    (tmp_path / "categories.yaml").write_text(CATEGORIES)
    env = {k: v for k, v in {**os.environ, **QUIET}.items() if k != "COLUMNS"}
    done = subprocess.run(
        [sys.executable, "-m", "netra_runner", "--all"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    header = next(line for line in done.stdout.splitlines() if "status" in line)
    assert header.split() == [
        "category",
        "status",
        "passed",
        "failed",
        "skipped",
        "errors",
        "xfailed",
        "time",
    ]
    assert "a_category_with_a_long_name" in done.stdout and "…" not in done.stdout
    assert [line for line in done.stdout.splitlines() if line != line.rstrip()] == []


WARNS = (
    "import warnings\n\n\ndef test_a():\n    warnings.warn('careful', UserWarning)\n\n\n"
    "def test_b():\n    warnings.warn('again', DeprecationWarning)\n\n\ndef test_c():\n    pass\n"
)


def test_the_closing_line_counts_pytests_warnings(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "test_w.py").write_text(WARNS)
    (tmp_path / "categories.yaml").write_text("version: 1\ncategories:\n  unit: {paths: [t]}\n")
    for workers in ("1", "2"):
        ran = netra(tmp_path, "--all", "-n", workers)
        assert ran.code == 0, ran.out + ran.err
        assert ran.last_line.startswith("netra-run: 3 passed, 0 failed, 0 skipped, 2 warnings in")
