from pathlib import Path

from netra_runner.selection.imports import ImportGraph, module_name


def make(root: Path, files: dict[str, str]) -> ImportGraph:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return ImportGraph.of(root)


def test_module_names_start_above_the_outermost_package(tmp_path: Path) -> None:
    make(tmp_path, {"examples/chat/chat/__init__.py": "", "examples/chat/chat/bus.py": ""})
    assert module_name("examples/chat/chat/bus.py", tmp_path) == "chat.bus"
    assert module_name("examples/chat/chat/__init__.py", tmp_path) == "chat"
    assert module_name("tests/helpers.py", tmp_path) == "helpers"


def test_importers_are_found_through_chains_and_relative_imports(tmp_path: Path) -> None:
    graph = make(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/core.py": "",
            "pkg/sub/__init__.py": "",
            "pkg/sub/api.py": "from ..core import thing\n",
            "tests/test_api.py": "import pkg.sub.api\n",
            "tests/test_from.py": "from pkg import core\n",
            "tests/test_none.py": "import os\n",
            "tests/test_broken.py": "def (:\n",
        },
    )
    affected = graph.affected(["pkg/core.py"])
    assert affected == {
        "pkg/sub/api.py": "pkg/core.py",
        "tests/test_api.py": "pkg/core.py",
        "tests/test_from.py": "pkg/core.py",
    }


def test_a_package_init_reaches_everything_imported_below_it(tmp_path: Path) -> None:
    graph = make(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/core.py": "",
            "tests/test_core.py": "from pkg.core import x\n",
        },
    )
    assert graph.affected(["pkg/__init__.py"]) == {"tests/test_core.py": "pkg/__init__.py"}


def test_a_module_named_in_a_string_is_run_without_an_import(tmp_path: Path) -> None:
    graph = make(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/__main__.py": "from app import server\n",
            "app/server.py": "",
            "app/routes.py": "",
            "tests/helper.py": (
                "import subprocess, sys\n"
                "subprocess.Popen([sys.executable, '-m', 'app'])\n"
                "UVICORN = 'app.routes:router'\n"
                "NOT_A_MODULE = 'application'\n"
            ),
        },
    )
    assert set(graph.affected(["app/server.py"])) >= {"app/__main__.py", "tests/helper.py"}
    assert "tests/helper.py" in graph.affected(["app/routes.py"])
