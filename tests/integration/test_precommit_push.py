"""The pre-push check through real pre-commit (and `netra-run hooks install`) and a real
`git push`, on a project shaped like a web app's backend: its tests reach the routes only
through a conftest fixture, and one category needs Redis. A push whose commit breaks a test
is blocked; one that keeps them green goes through."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from gitrepo import IDENTITY, git, make_repo
from helpers import QUIET, netra

HOOKS = Path(__file__).parents[2] / ".pre-commit-hooks.yaml"

CATEGORIES = """\
version: 1
services:
  redis:
    image: netra-offline/redis:7
    command: [redis-server, --save, "", --appendonly, "no"]
    ports: [6379]
    healthcheck: {exec: [redis-cli, ping], interval: 0.1}
    exports: {REDIS_URL: "redis://{host}:{port:6379}/0"}
categories:
  api:
    paths: [backend/tests/api]
    env: {PYTHONPATH: backend}
  cache:
    paths: [backend/tests/cache]
    env: {PYTHONPATH: backend}
    services: [redis]
profiles:
  pre-push:
    run: {services: local}
"""

FILES = {
    "categories.yaml": CATEGORIES,
    "backend/app/__init__.py": "",
    "backend/app/routes.py": "def status(item):\n    return 404 if item is None else 200\n",
    "backend/app/main.py": (
        "from app import routes\n\n\nclass App:\n    def get(self, item):\n"
        "        return routes.status(item)\n\n\napp = App()\n"
    ),
    "backend/app/cache.py": "def key(user):\n    return f'user:{user}'\n",
    "backend/tests/api/conftest.py": (
        "import pytest\n\nfrom app.main import app\n\n\n@pytest.fixture\ndef client():\n"
        "    return app\n"
    ),
    "backend/tests/api/test_items.py": (
        "def test_missing_item(client):\n    assert client.get(None) == 404\n"
    ),
    "backend/tests/cache/conftest.py": (
        "import os\nimport socket\n\nimport pytest\n\nfrom app.cache import key\n\n\n"
        "@pytest.fixture\ndef cached():\n"
        "    host, port = os.environ['REDIS_URL'].split('//')[1].split('/')[0].split(':')\n"
        "    with socket.create_connection((host, int(port))) as s:\n"
        "        s.sendall(b'PING\\r\\n')\n        assert s.recv(16).startswith(b'+PONG')\n"
        "    return key\n"
    ),
    "backend/tests/cache/test_keys.py": (
        "def test_user_key(cached):\n    assert cached(7) == 'user:7'\n"
    ),
}


INSTALLERS = (
    [sys.executable, "-m", "pre_commit", "install", "--hook-type", "pre-push"],
    [sys.executable, "-m", "netra_runner", "hooks", "install"],
)


@pytest.fixture(params=INSTALLERS, ids=["pre-commit", "hooks-install"])
def pushed(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """A clone with an upstream and a pre-push hook installed as the docs say: through
    pre-commit, or with netra-run's own `hooks install`."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    hook = yaml.safe_load(HOOKS.read_text())[0]
    config = {"repos": [{"repo": "local", "hooks": [hook]}]}
    files = {**FILES, ".pre-commit-config.yaml": yaml.safe_dump(config)}
    repo = make_repo(tmp_path / "repo", files)
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "-q", "-u", "origin", "main")
    installed = subprocess.run(
        request.param,
        cwd=repo,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return repo


def _env(tmp_path: Path) -> dict[str, str]:
    # The project's environment is netra-run's here: its bin folder first, as when activated.
    path = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    return {**os.environ, **QUIET, "PATH": path, "PRE_COMMIT_HOME": str(tmp_path / "pc")}


def push(repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "push", "-q"],
        cwd=repo,
        env=_env(repo.parent),
        capture_output=True,
        text=True,
        timeout=300,
    )


def commit(repo: Path, file: str, text: str) -> None:
    (repo / file).write_text(text)
    git(repo, *IDENTITY, "commit", "-qam", f"change {file}")


def test_a_break_reached_only_through_a_conftest_fixture_is_blocked(pushed: Path) -> None:
    commit(pushed, "backend/app/routes.py", "def status(item):\n    return 410\n")
    done = push(pushed)
    assert done.returncode != 0, done.stdout + done.stderr
    assert "test_missing_item" in done.stdout + done.stderr
    assert git_log_remote(pushed) == 1  # nothing reached the remote


def test_a_green_change_goes_through(pushed: Path) -> None:
    commit(
        pushed, "backend/app/routes.py", "def status(item):\n    return 404 if not item else 200\n"
    )
    done = push(pushed)
    assert done.returncode == 0, done.stdout + done.stderr
    assert git_log_remote(pushed) == 2


@pytest.mark.local_services
def test_a_break_in_a_category_that_needs_services_is_blocked(pushed: Path) -> None:
    commit(pushed, "backend/app/cache.py", "def key(user):\n    return f'users:{user}'\n")
    done = push(pushed)
    assert done.returncode != 0, done.stdout + done.stderr
    assert "test_user_key" in done.stdout + done.stderr
    assert git_log_remote(pushed) == 1


def test_a_hook_environment_that_cannot_import_the_tests_blocks_and_says_so(
    pushed: Path,
) -> None:
    # The project's tests need a package the hook's environment lacks.
    commit(
        pushed,
        "backend/tests/api/conftest.py",
        "import pytest\n\nimport not_installed_here\n\n\n@pytest.fixture\ndef client():\n"
        "    return None\n",
    )
    done = push(pushed)
    assert done.returncode != 0, done.stdout + done.stderr
    assert "not_installed_here" in done.stdout + done.stderr
    assert "Passed" not in done.stdout + done.stderr


def git_log_remote(repo: Path) -> int:
    """How many commits the remote's main holds."""
    sha = subprocess.run(
        ["git", "ls-remote", "origin", "refs/heads/main"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[0]
    counted = subprocess.run(
        ["git", "rev-list", "--count", sha], cwd=repo, capture_output=True, text=True, check=True
    )
    return int(counted.stdout.strip())


def test_pre_commits_own_environment_is_named_when_the_tests_cannot_import(
    pushed: Path,
) -> None:
    """Run as pre-commit runs a `language: python` hook: in an environment under its home."""
    env = {"PRE_COMMIT": "1", "PRE_COMMIT_HOME": str(Path(sys.prefix).parent)}
    ran = netra(pushed, "-c", "api", "--plan", env=env)
    assert "netra-run runs in pre-commit's own environment" in ran.out, ran.out + ran.err
