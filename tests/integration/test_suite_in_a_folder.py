"""A pytest suite where it lives: a backend/ folder with its own pyproject.toml (pytest and
coverage settings), settings read from ../.env relative to it, run by a category with
`cwd: backend` and `env_file: .env`, as a real web app template's backend is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import netra

FILES = {
    ".env": '# what the app reads\nexport PROJECT_NAME="Full Stack"\nSECRET_KEY=changethis-x9\n',
    "backend/pyproject.toml": (
        '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n\n'
        '[tool.coverage.run]\nomit = ["tests/*"]\n'
    ),
    "backend/app/__init__.py": "",
    "backend/app/config.py": (
        "import os\nfrom pathlib import Path\n\n\ndef settings():\n"
        "    # as pydantic-settings' env_file='../.env', from the folder the app runs in\n"
        "    text = Path('../.env').read_text()\n"
        "    return {'name': os.environ['PROJECT_NAME'], 'file': 'SECRET_KEY' in text}\n"
    ),
    "backend/tests/__init__.py": "",
    "backend/tests/api/__init__.py": "",
    "backend/tests/api/test_settings.py": (
        "from app.config import settings\n\n\ndef test_settings():\n"
        "    assert settings() == {'name': 'Full Stack', 'file': True}\n\n\n"
        "def test_fails():\n    assert settings()['name'] == 'other'\n"
    ),
    "categories.yaml": (
        "version: 1\ncategories:\n  backend:\n    paths: [backend/tests]\n"
        "    cwd: backend\n    env_file: .env\n"
    ),
}
PASSING = "backend/tests/api/test_settings.py::test_settings"
FAILING = "backend/tests/api/test_settings.py::test_fails"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def report(project: Path) -> dict[str, str]:
    data = json.loads((project / "reports" / "report.json").read_text())
    return {t["id"]: t["outcome"] for c in data["categories"] for t in c["tests"]}


@pytest.mark.parametrize("workers", ["1", "2"])
def test_the_suite_runs_from_its_folder_with_ids_from_the_root(project: Path, workers: str) -> None:
    ran = netra(project, "--all", "-n", workers)
    assert ran.code == 1, ran.out + ran.err
    assert report(project) == {PASSING: "passed", FAILING: "failed"}
    # As pytest names them from backend/, where its rootdir is.
    junit = (project / "reports" / "junit.xml").read_text()
    assert 'classname="tests.api.test_settings"' in junit
    assert "SECRET_KEY" not in junit and "changethis-x9" not in ran.out


def test_node_ids_and_last_failed_are_named_from_the_root(project: Path) -> None:
    assert netra(project, "--all").code == 1
    again = netra(project, "--lf")
    assert report(project) == {FAILING: "failed"}, again.out + again.err
    one = netra(project, PASSING)
    assert one.code == 0, one.out + one.err
    assert report(project) == {PASSING: "passed"}
    listed = netra(project, "--all", "--co")
    assert PASSING in listed.out and FAILING in listed.out


def test_coverage_is_measured_as_the_suites_folder_configures_it(project: Path) -> None:
    ran = netra(project, "--all", "--cov", "-k", "not test_fails")
    assert ran.code == 0, ran.out + ran.err
    files = json.loads((project / "reports" / "report.json").read_text())["coverage"]["files"]
    assert sorted(f["path"] for f in files) == ["backend/app/__init__.py", "backend/app/config.py"]


def test_a_missing_env_file_is_a_config_error_with_its_line(project: Path) -> None:
    (project / ".env").unlink()
    ran = netra(project, "--all")
    assert ran.code == 2
    assert "categories.yaml:6: categories.backend.env_file[0]: no file '.env'" in ran.err
