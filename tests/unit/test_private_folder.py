"""A category's workers' private folder: removed after them, and by the next run when a
killed netra-run left it behind (its owner is gone)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from netra_runner.execution.shares import PRIVATE_PREFIX, private_folder


def test_the_folder_goes_after_the_workers_and_a_dead_runs_folder_is_reaped() -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead = Path(tempfile.mkdtemp(prefix=f"{PRIVATE_PREFIX}{int(gone.stdout)}-"))
    alive = Path(tempfile.mkdtemp(prefix=f"{PRIVATE_PREFIX}{os.getppid()}-"))
    try:
        with private_folder() as folder:
            assert folder.is_dir() and folder.name.startswith(f"{PRIVATE_PREFIX}{os.getpid()}-")
            (folder / "claims").write_text("3")
        assert not folder.exists()
        assert not dead.exists()  # its netra-run is gone
        assert alive.exists()  # a running one's is left alone
    finally:
        alive.rmdir()
