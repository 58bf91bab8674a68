"""The consoles netra-run prints to, and its colour policy in one place."""

from __future__ import annotations

import os

from rich.console import Console


def console(stderr: bool, plain: bool = False) -> Console:
    """--plain: no escape codes at all. NO_COLOR (set and not empty, no-color.org): no
    colour, and nothing else changes. rich honours FORCE_COLOR itself. No emoji codes:
    'categories.yaml:100:' is a line number, not a 💯."""
    no_color = bool(os.environ.get("NO_COLOR"))
    return Console(
        stderr=stderr,
        color_system=None if plain else "auto",
        no_color=no_color,
        highlight=False,
        emoji=False,
    )
