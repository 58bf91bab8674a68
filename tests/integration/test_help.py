"""--help reads in the user's words: grouped options, a usage line with paths, node ids and
`--`, whole command summaries, and no Python type names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import netra

COMMANDS = [
    (),
    ("init",),
    ("doctor",),
    ("services",),
    ("services", "up"),
    ("services", "down"),
    ("services", "status"),
    ("services", "logs"),
    ("report",),
    ("report", "merge"),
    ("hooks",),
    ("hooks", "install"),
    ("history",),
    ("history", "merge"),
    ("images",),
    ("images", "build"),
]


def test_the_main_help_is_grouped_and_shows_how_tests_are_named(tmp_path: Path) -> None:
    shown = netra(tmp_path, "--help")
    assert shown.code == 0
    assert "Usage: netra-run [OPTIONS] [PATH | NODE_ID]... [-- PYTEST_ARGS...]" in shown.out
    sections = re.findall(r"^(\w[\w ]*):$", shown.out, re.MULTILINE)
    assert sections == ["Selection", "Services", "Execution", "Reports", "Options", "Commands"]


@pytest.mark.parametrize("words", COMMANDS, ids=lambda w: " ".join(w) or "netra-run")
def test_no_help_names_a_python_type_or_cuts_a_summary(
    tmp_path: Path, words: tuple[str, ...]
) -> None:
    shown = netra(tmp_path, *words, "--help")
    assert shown.code == 0, shown.err
    assert not re.search(r"<(list|str|path|int|float)\b", shown.out, re.IGNORECASE), shown.out
    assert "..." not in shown.out.split("Commands:")[-1] or "Commands:" not in shown.out
    assert re.search(r"Usage: netra-run[^\n]*\[OPTIONS\]", shown.out), shown.out
