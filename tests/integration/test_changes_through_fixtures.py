"""--changed on a project shaped like a real web app's backend: the tests never import the
code they check; they reach it through a conftest fixture that builds the app, a plugin
named in `pytest_plugins`, templates the app reads. Each change here breaks a test, and
--changed must run it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gitrepo import IDENTITY, git, make_repo
from helpers import netra

CATEGORIES = """\
version: 1
categories:
  backend:
    paths: [backend/tests]
    env: {PYTHONPATH: backend}
  other:
    paths: [other_tests]
"""

FILES = {
    "categories.yaml": CATEGORIES,
    "backend/app/__init__.py": "",
    "backend/app/routes.py": "def status(item):\n    return 404 if item is None else 200\n",
    "backend/app/main.py": (
        "from app import routes\n\n\nclass App:\n"
        "    def get(self, item):\n        return routes.status(item)\n\n\napp = App()\n"
    ),
    "backend/app/models.py": "LIMIT = 10\n",
    "backend/app/mail.py": (
        "from pathlib import Path\n\n\ndef body():\n"
        "    return (Path(__file__).parent / 'templates' / 'mail.txt').read_text()\n"
    ),
    "backend/app/templates/mail.txt": "hello\n",
    "backend/app/loaded_by_name.py": "VALUE = 1\n",
    "backend/fixtures/__init__.py": "",
    "backend/fixtures/db.py": (
        "import pytest\n\nfrom app.models import LIMIT\n\n\n"
        "@pytest.fixture\ndef limit():\n    return LIMIT\n"
    ),
    "backend/tests/conftest.py": "pytest_plugins = ['fixtures.db']\n",
    "backend/tests/api/conftest.py": (
        "import pytest\n\nfrom app.main import app\n\n\n@pytest.fixture\ndef client():\n"
        "    return app\n"
    ),
    "backend/tests/api/test_items.py": (
        "def test_missing_item(client):\n    assert client.get(None) == 404\n"
    ),
    "backend/tests/test_limits.py": "def test_limit(limit):\n    assert limit == 10\n",
    "backend/tests/test_mail.py": (
        "from app.mail import body\n\n\ndef test_body():\n    assert body() == 'hello\\n'\n"
    ),
    "backend/tests/test_loaded.py": (
        "import importlib\n\n\ndef test_loaded():\n"
        "    # a name built at run time: no import, and no string, says which module\n"
        "    assert importlib.import_module('app.' + 'loaded_by_name').VALUE == 1\n"
    ),
    "other_tests/test_other.py": "def test_other():\n    assert True\n",
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path, FILES)


def ran(repo: Path) -> dict[str, str]:
    data = json.loads((repo / "reports" / "report.json").read_text())
    return {t["id"]: t["outcome"] for c in data["categories"] for t in c["tests"]}


def test_a_route_a_conftest_fixture_reaches_runs_the_tests_under_that_conftest(
    repo: Path,
) -> None:
    (repo / "backend/app/routes.py").write_text(
        "def status(item):\n    return 410 if item is None else 200\n"
    )
    done = netra(repo, "--changed")
    assert done.code == 1, done.out + done.err
    assert ran(repo) == {"backend/tests/api/test_items.py::test_missing_item": "failed"}
    plan = netra(repo, "--changed", "--plan")
    assert "backend/tests/api/conftest.py imports backend/app/routes.py" in plan.out


def test_the_same_change_committed_is_caught_against_the_previous_commit(repo: Path) -> None:
    (repo / "backend/app/routes.py").write_text(
        "def status(item):\n    return 410 if item is None else 200\n"
    )
    git(repo, *IDENTITY, "commit", "-qam", "410 for a missing item")
    done = netra(repo, "--changed-since", "HEAD~1")
    assert done.code == 1, done.out + done.err
    assert ran(repo)["backend/tests/api/test_items.py::test_missing_item"] == "failed"


def test_a_plugin_named_in_pytest_plugins_is_followed(repo: Path) -> None:
    (repo / "backend/app/models.py").write_text("LIMIT = 11\n")
    done = netra(repo, "--changed")
    assert done.code == 1, done.out + done.err
    # The plugin is named by the conftest at the top of the category: all of it runs.
    assert ran(repo)["backend/tests/test_limits.py::test_limit"] == "failed"
    assert "other_tests/test_other.py::test_other" not in ran(repo)


def test_a_template_inside_the_package_counts_as_a_change_to_its_modules(repo: Path) -> None:
    (repo / "backend/app/templates/mail.txt").write_text("goodbye\n")
    done = netra(repo, "--changed")
    assert done.code == 1, done.out + done.err
    assert ran(repo)["backend/tests/test_mail.py::test_body"] == "failed"
    assert "other_tests/test_other.py::test_other" not in ran(repo)


def test_code_nothing_ties_to_a_test_runs_every_pytest_category_and_says_why(
    repo: Path,
) -> None:
    (repo / "backend/app/loaded_by_name.py").write_text("VALUE = 2\n")
    done = netra(repo, "--changed")
    assert done.code == 1, done.out + done.err
    assert ran(repo)["backend/tests/test_loaded.py::test_loaded"] == "failed"
    assert ran(repo)["other_tests/test_other.py::test_other"] == "passed"
    plan = netra(repo, "--changed", "--plan")
    assert "backend/app/loaded_by_name.py changed, and no import, conftest" in plan.out


def test_a_changed_conftest_selects_the_tests_under_it_not_everything(repo: Path) -> None:
    conftest = repo / "backend/tests/api/conftest.py"
    conftest.write_text(conftest.read_text().replace("return app", "return None"))
    done = netra(repo, "--changed")
    assert done.code == 1, done.out + done.err
    assert ran(repo) == {"backend/tests/api/test_items.py::test_missing_item": "failed"}


def test_a_cov_run_maps_each_test_to_what_it_ran_so_selection_is_per_test(repo: Path) -> None:
    measured = netra(repo, "--all", "--cov")
    assert measured.code == 0, measured.out + measured.err
    mapped = json.loads((repo / ".netra" / "test-map.json").read_text())["files"]
    assert mapped["backend/app/loaded_by_name.py"] == ["backend/tests/test_loaded.py::test_loaded"]
    (repo / "backend/app/loaded_by_name.py").write_text("VALUE = 2\n")
    done = netra(repo, "--changed")
    assert done.code == 1, done.out + done.err
    # Only the test the map saw run it: not every category, not the rest of its own.
    assert ran(repo) == {"backend/tests/test_loaded.py::test_loaded": "failed"}
    plan = netra(repo, "--changed", "--plan")
    assert "the last --cov run saw it run backend/app/loaded_by_name.py" in plan.out
