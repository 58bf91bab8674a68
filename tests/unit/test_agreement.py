"""The agreement between netra-run and its workers is defined once: the plugin takes exactly
its options, the command netra-run builds uses only them, no module spells one of its
variables by hand, and the code that runs in a worker (netra_runner/plugin/) imports
nothing of netra-run's outside its own package."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

from netra_runner.plugin import agreement as agreed

PLUGIN = Path(agreed.__file__).parent
PACKAGE = PLUGIN.parent
# What a worker process may import besides the standard library: pytest and its own kin.
# xdist only for the escape hatch (--xdist), loaded when xdist runs the suite.
WORKER_SIDE = {"pytest", "_pytest", "pluggy", "xdist", "coverage"}
VARIABLES = {
    agreed.COVERAGE,
    agreed.WORKER_ENV,
    agreed.GATE,
    agreed.GATE_FILE,
    agreed.HEALTH,
    agreed.MASK_VALUES,
}
OPTION_WORD = re.compile(r"--netra-[a-z-]+(=|$)")


def test_the_plugin_takes_exactly_the_agreed_options() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "netra_runner.plugin.main", "--help"],
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


def _strings(path: Path) -> list[tuple[int, str]]:
    return [
        (node.lineno, node.value)
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


def test_no_module_spells_a_worker_variable_by_hand() -> None:
    spelled = [
        f"{path.relative_to(PACKAGE)}:{line}"
        for path in PACKAGE.rglob("*.py")
        if path.name != "agreement.py"
        for line, text in _strings(path)
        if text in VARIABLES
    ]
    assert spelled == []


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def test_the_worker_side_imports_nothing_of_netra_runs_side() -> None:
    outside = [
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in sorted(PLUGIN.rglob("*.py"))
        for name in sorted(_imports(path))
        if not name.startswith("netra_runner.plugin.")
        and name.split(".")[0] not in set(sys.stdlib_module_names) | WORKER_SIDE | {"__future__"}
    ]
    assert outside == []


def test_the_boundary_check_sees_an_import_from_outside(tmp_path: Path) -> None:
    module = tmp_path / "leaky.py"
    module.write_text("from netra_runner.plan import Job\nfrom netra_runner.plugin import main\n")
    assert _imports(module) == {"netra_runner.plan.Job", "netra_runner.plugin.main"}


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
