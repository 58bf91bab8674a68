"""Captured text as HTML: terminal colours as colour (rich decodes the escape codes), the
other control characters dropped, a carriage return showing what a terminal would."""

from __future__ import annotations

import io
import re
from functools import lru_cache
from html import escape

from rich.console import Console
from rich.terminal_theme import DEFAULT_TERMINAL_THEME
from rich.text import Text

# C0 controls but tab and newline, DEL, C1 controls: each renders as a box, none as text.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def to_html(text: str) -> str:
    """Escaped HTML for a <pre>, colour as inline styles."""
    text = _overwritten(text)
    if "\x1b" not in text:
        return escape(_CONTROLS.sub("", text))
    parts = []
    for segment in Text.from_ansi(text).render(_console()):
        piece = escape(_CONTROLS.sub("", segment.text))
        style = segment.style.get_html_style(DEFAULT_TERMINAL_THEME) if segment.style else ""
        parts.append(f"<span style='{style}'>{piece}</span>" if style else piece)
    return "".join(parts)


def plain(text: str) -> str:
    """The text without escape codes or control characters (a one-line summary, a search)."""
    text = _overwritten(text)
    if "\x1b" in text:
        text = Text.from_ansi(text).plain
    return _CONTROLS.sub("", text)


def _overwritten(text: str) -> str:
    """A progress bar redraws its line after a carriage return: keep its last state."""
    if "\r" not in text:
        return text
    lines = text.replace("\r\n", "\n").split("\n")
    return "\n".join(line.rstrip("\r").rsplit("\r", 1)[-1] for line in lines)


@lru_cache(maxsize=1)
def _console() -> Console:
    return Console(file=io.StringIO(), color_system="truecolor", force_terminal=True, width=10_000)
