"""The consoles netra-run prints to, and its colour policy in one place."""

from __future__ import annotations

import io
import os
import sys
from typing import TextIO, cast

from rich.console import Console

# Columns when no terminal says how wide it is (a CI log, a pipe): rich would take 80 and
# cut the summary table's headers ('categ…'); logs are read in a browser, not a terminal.
UNBOUNDED = 160


def console(stderr: bool, plain: bool = False) -> Console:
    """--plain: no escape codes at all. NO_COLOR (set and not empty, no-color.org): no
    colour, and nothing else changes. rich honours FORCE_COLOR itself. No emoji codes:
    'categories.yaml:100:' is a line number, not a 💯. Without a terminal, lines are as wide
    as they need (COLUMNS still wins) and carry no trailing spaces."""
    no_color = bool(os.environ.get("NO_COLOR"))
    stream = sys.stderr if stderr else sys.stdout
    terminal = _is_terminal(stream)
    return Console(
        file=stream if terminal else cast(TextIO, TrimmedLines(stream)),
        width=None if terminal or os.environ.get("COLUMNS") else UNBOUNDED,
        color_system=None if plain else "auto",
        no_color=no_color,
        highlight=False,
        emoji=False,
    )


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class TrimmedLines(io.TextIOBase):
    """Writes whole lines without their trailing spaces (rich pads every table cell to its
    column): what a log keeps is what was said."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self._stream = stream
        self._partial = ""

    def write(self, text: str) -> int:
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines:
            self._stream.write(line.rstrip(" ") + "\n")
        return len(text)

    def flush(self) -> None:
        if self._partial:
            self._stream.write(self._partial)
            self._partial = ""
        self._stream.flush()

    def isatty(self) -> bool:
        return False

    @property
    def encoding(self) -> str:  # type: ignore[override]  # the stream's, as rich asks
        return getattr(self._stream, "encoding", None) or "utf-8"

    def fileno(self) -> int:
        return self._stream.fileno()
