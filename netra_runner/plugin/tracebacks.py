"""Shortening pytest's tracebacks; stdlib only, since the pytest plugin imports it too."""

from __future__ import annotations


def error_lines(text: str) -> str:
    """pytest's 'E ' lines: the error itself, without importlib's frames around it."""
    lines = [line for line in text.splitlines() if line.startswith("E ")]
    return "\n".join(lines) or text
