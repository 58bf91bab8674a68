"""Set-up commands: a service's run once it is healthy, before any category using it; a
category's before its suite; a failing one says what it printed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from helpers import EXTERNAL_CACHE, netra

# Each set-up appends a line (its exports and where it ran) to a file the tests then read.
RECORD = (
    "[python, -c, \"import os; open('setup.txt', 'a').write(os.environ['REDIS_URL'] + chr(10))\"]"
)

CONFIG = (
    "version: 1\n"
    + EXTERNAL_CACHE
    + """\
    setup:
      - {record}
      - [python, migrations/apply.py]
    setup_inputs: [migrations]
categories:
  first:
    paths: [tests/test_first.py]
    services: [cache]
  second:
    paths: [tests/test_second.py]
    services: [cache]
    setup: [[python, -c, "open('category-setup.txt', 'w').write('done')"]]
"""
)

READS_SETUP = """\
import subprocess
from pathlib import Path

def test_the_set_up_ran_once_before_me():
    assert Path("setup.txt").read_text().count("redis://127.0.0.1:") == 1
    assert Path("migrated.txt").read_text() == "2 migrations"
"""


@pytest.fixture
def project(tmp_path: Path, listening_port: int) -> Path:
    config = CONFIG.format(port=listening_port, record=RECORD)
    (tmp_path / "categories.yaml").write_text(config)
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "001.sql").write_text("create table a (id int);\n")
    (tmp_path / "migrations" / "002.sql").write_text("create table b (id int);\n")
    (tmp_path / "migrations" / "apply.py").write_text(
        "from pathlib import Path\n"
        "done = sorted(Path('migrations').glob('*.sql'))\n"
        "print('applying', len(done), 'migrations')\n"
        "Path('migrated.txt').write_text(f'{len(done)} migrations')\n"
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_first.py").write_text(READS_SETUP)
    (tmp_path / "tests" / "test_second.py").write_text(
        READS_SETUP + "\ndef test_my_own_set_up_ran():\n"
        "    assert Path('category-setup.txt').read_text() == 'done'\n"
    )
    return tmp_path


def test_a_services_set_up_runs_once_before_the_categories_that_use_it(project: Path) -> None:
    ran = netra(project, "--all", "--real-services", "--plain")
    assert ran.code == 0, ran.out + ran.err
    assert "service cache set up in" in ran.out
    assert ran.last_line.startswith("netra-run: 3 passed, 0 failed")
    log = (project / "reports" / "services" / "cache.setup.log").read_text()
    assert "$ python migrations/apply.py" in log and "applying 2 migrations" in log
    assert oct((project / "reports" / "services" / "cache.setup.log").stat().st_mode)[-3:] == "600"


def test_a_failing_set_up_is_exit_3_with_what_it_printed(project: Path) -> None:
    (project / "migrations" / "apply.py").write_text(
        "print('connecting to the schema')\nraise SystemExit('migration 002 failed: no table a')\n"
    )
    ran = netra(project, "--all", "--real-services", "--plain")
    assert ran.code == 3, ran.out + ran.err
    shown = ran.out + ran.err
    assert "service cache: its set-up `python migrations/apply.py` exited 1" in shown
    assert "migration 002 failed: no table a" in shown
    assert not (project / "migrated.txt").exists()


def test_a_failing_category_set_up_fails_that_category_only(project: Path) -> None:
    config = project / "categories.yaml"
    config.write_text(
        config.read_text().replace("open('category-setup.txt', 'w')", "exit(4) or open('x', 'w')")
    )
    ran = netra(project, "--all", "--real-services", "--plain")
    assert ran.code == 1, ran.out
    assert (
        "second: its set-up `python -c" in ran.out and "exited 4; its suite did not run" in ran.out
    )
    assert "PASSED      first" in ran.out


def test_a_missing_set_up_input_is_a_config_error_with_its_line(project: Path) -> None:
    config = project / "categories.yaml"
    config.write_text(
        config.read_text().replace("setup_inputs: [migrations]", "setup_inputs: [migratons]")
    )
    ran = netra(project, "--all", "--plan")
    assert ran.code == 2
    assert "services.cache.setup_inputs[0]: 'migratons' does not exist" in ran.err
    assert "did you mean migrations?" in ran.err


KEPT = """\
version: 1
services:
  cache:
    image: redis:7-alpine
    ports: [6379]
    healthcheck: {tcp: 6379}
    exports: {REDIS_URL: "redis://{host}:{port:6379}/0"}
    setup: [[python, migrations/apply.py]]
    setup_inputs: [migrations]
categories:
  first:
    paths: [tests/test_first.py]
    services: [cache]
"""


@pytest.mark.local_services
def test_a_kept_service_is_set_up_again_only_when_its_set_up_inputs_change(
    project: Path,
) -> None:
    (project / "categories.yaml").write_text(KEPT)
    (project / "tests" / "test_first.py").write_text("def test_ok():\n    pass\n")
    (project / "migrations" / "apply.py").write_text("open('runs.txt', 'a').write('set up\\n')\n")
    args = ("--all", "--real-services", "--services", "local", "--keep-services", "--plain")
    try:
        for _ in range(2):
            ran = netra(project, *args)
            assert ran.code == 0, ran.out + ran.err
        assert (project / "runs.txt").read_text().count("set up") == 1  # reused: not again
        assert "(reused)" in ran.out
        (project / "migrations" / "003.sql").write_text("create table c (id int);\n")
        again = netra(project, *args)
        assert again.code == 0, again.out + again.err
        assert (project / "runs.txt").read_text().count("set up") == 2
        assert "(reused)" not in again.out
    finally:
        netra(project, "services", "down", "--services", "local")


def test_a_set_up_past_its_timeout_is_ended_with_what_it_started(project: Path) -> None:
    (project / "migrations" / "apply.py").write_text(
        "import subprocess, time\n"
        "subprocess.Popen(['sleep', '287'])  # a child of its own: ended with it\n"
        "time.sleep(300)\n"
    )
    config = project / "categories.yaml"
    config.write_text(
        config.read_text().replace("setup_inputs:", "setup_timeout: 1\n    setup_inputs:")
    )
    ran = netra(project, "--all", "--real-services", "--plain", timeout=60)
    assert ran.code == 3, ran.out + ran.err
    assert "took over 1s (setup_timeout); it was ended" in ran.out + ran.err
    left = subprocess.run(["pgrep", "-f", "sleep 287"], capture_output=True, text=True).stdout
    assert not left.strip(), left


def test_a_set_up_that_prints_a_secret_is_masked_in_its_log_and_the_console(
    project: Path,
) -> None:
    config = project / "categories.yaml"
    secret_url = 'REDIS_URL: "redis://:s3cr3t-setup-pw@{host}:{port:6379}/0"'
    text = config.read_text().replace('REDIS_URL: "redis://{host}:{port:6379}/0"', secret_url)
    config.write_text(text)
    (project / "migrations" / "apply.py").write_text(
        "import os\npw = os.environ['REDIS_URL'].split(':')[2].split('@')[0]\n"
        "print('connecting with pw_' + pw + 'x')\nraise SystemExit('refused: ' + pw)\n"
    )
    ran = netra(project, "--all", "--real-services", "--plain")
    assert ran.code == 3, ran.out + ran.err
    log = (project / "reports" / "services" / "cache.setup.log").read_text()
    assert "connecting with pw_******x" in log and "refused: ******" in ran.out + ran.err
    for shown in (ran.out, ran.err, log):
        assert "s3cr3t-setup-pw" not in shown
