"""The agreement between netra-run and its workers is defined once: the plugin takes exactly
its options, and the command netra-run builds uses only them."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

from netra_runner import agreement as agreed

PACKAGE = Path(agreed.__file__).parent
OPTION_WORD = re.compile(r"--netra-[a-z-]+(=|$)")


def test_the_plugin_takes_exactly_the_agreed_options() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "netra_runner.pytest_plugin", "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        timeout=60,
    )
    taken = set(re.findall(r"^\s+(--netra-[a-z-]+)", done.stdout, re.MULTILINE))
    assert taken == {option.flag for option in agreed.OPTIONS}


def test_no_module_spells_an_option_by_hand() -> None:
    spelled = [
        f"{path.relative_to(PACKAGE)}:{node.lineno}"
        for path in PACKAGE.rglob("*.py")
        if path.name != "agreement.py"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and OPTION_WORD.match(node.value)
    ]
    assert spelled == []


def test_the_agreement_needs_nothing_but_the_standard_library() -> None:
    tree = ast.parse(Path(agreed.__file__).read_text())
    imported = {
        (node.module or "").split(".")[0] if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}


def test_an_option_is_built_and_read_back_alike() -> None:
    argv = ["python", agreed.EVENTS("/r/events.ndjson"), agreed.SLICE("2/3")]
    assert agreed.EVENTS.value_in(argv) == "/r/events.ndjson"
    assert agreed.SLICE.given(argv[2]) and not agreed.CLAIMS.given(argv[2])
    assert agreed.DURATIONS.value_in(argv) is None
