"""Report files are replaced whole: a reader never sees one half-written."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


class FolderWatch:
    """Notices a folder deleted while the run goes (a test removing the reports folder):
    a handle on the folder itself outlives its name."""

    def __init__(self, folder: Path) -> None:
        self._fd = os.open(folder, os.O_RDONLY)

    def deleted(self) -> bool:
        return os.fstat(self._fd).st_nlink == 0

    def close(self) -> None:
        os.close(self._fd)
