"""The job planner: the exact pytest command each category gets."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from netra_runner.config import Project, load_project
from netra_runner.context import RunContext
from netra_runner.execution.suites import prepare
from netra_runner.options import RunOptions
from netra_runner.plan import Job, make_jobs
from netra_runner.selection.narrowing import select

CONFIG = """\
version: 1
defaults: {timeout: 30, retries: 1}
services:
  cache:
    image: redis:7-alpine
    ports: [6379]
    exports: {REDIS_URL: "redis://{host}:{port:6379}/0"}
categories:
  unit:
    paths: [tests/unit]
    markers: not slow
    workers: 2
    args: [--strict-markers, "--redis-url={REDIS_URL}"]
    services: [cache]
  tools:
    command: [ruff, check]
"""


@pytest.fixture
def project(tmp_path: Path) -> Project:
    (tmp_path / "categories.yaml").write_text(CONFIG)
    (tmp_path / "tests" / "unit").mkdir(parents=True)
    (tmp_path / "tests" / "unit" / "test_a.py").write_text("")
    return load_project(tmp_path / "categories.yaml")


def jobs(project: Project, **given: object) -> dict[str, Job]:
    options = RunOptions(cwd=project.root, all=True, real_services=True, **given)  # type: ignore[arg-type]
    context = RunContext.of(project, options)
    return {job.name: job for job in make_jobs(context, select(project, options).entries)}


def after(argv: tuple[str, ...], flag: str) -> str:
    """The value after a pytest flag (past `python -m pytest`)."""
    return argv[argv.index(flag, 3) + 1]


def test_a_pytest_category_gets_the_plugin_its_settings_and_its_paths_last(
    project: Project,
) -> None:
    given = {"keyword": "api", "maxfail": 2, "pytest_args": ("-vv",), "xdist": True}
    argv = jobs(project, **given)["unit"].argv
    assert argv[:5] == (sys.executable, "-m", "pytest", "-p", "netra_runner.plugin.main")
    reports = project.root / "reports" / "categories" / "unit"
    assert f"--junitxml={reports / 'junit.xml'}" in argv
    assert "--netra-timeout=30" in argv and "--netra-retries=1" in argv
    assert after(argv, "-m") == "not slow" and after(argv, "-k") == "api"
    assert after(argv, "-n") == "2" and "--maxfail=2" in argv
    # The category's args, then the command line's (pytest lets a later option win); the
    # paths after `--`, where no option can take one as its value.
    tail = argv[argv.index("--strict-markers") :]
    assert tail == ("--strict-markers", "--redis-url={REDIS_URL}", "-vv", "--", "tests/unit")


def test_the_command_lines_settings_win_over_the_configs(project: Project) -> None:
    argv = jobs(project, timeout=5.0, retries=0, markers="db", workers=1)["unit"].argv
    assert "--netra-timeout=5" in argv and "--netra-retries=0" in argv
    assert after(argv, "-m") == "(not slow) and (db)"
    assert "-n" not in argv  # one worker: no xdist


def test_args_are_filled_from_the_exports_and_nothing_else_is(project: Project) -> None:
    job = jobs(project, targets=("tests/unit/test_a.py::test_p[{REDIS_URL}]",))["unit"]
    rendered = job.rendered({"REDIS_URL": "redis://127.0.0.1:1/0"})
    assert "--redis-url=redis://127.0.0.1:1/0" in rendered.argv
    assert rendered.argv[-1] == "tests/unit/test_a.py::test_p[{REDIS_URL}]"  # a test id


def test_many_targets_go_through_an_args_file(project: Project) -> None:
    (project.root / "tests" / "unit" / "test_a.py").write_text("")
    ids = tuple(f"tests/unit/test_a.py::test_{n}" for n in range(60))
    job = jobs(project, targets=ids)["unit"]
    argv = job.argv
    listing = Path(argv[-1].removeprefix("@"))
    assert not listing.exists()  # planning writes nothing: --plan promises so
    prepare(job)  # the run writes it, just before the suite starts
    assert argv[-1].startswith("@") and listing.read_text().split() == list(ids)


def test_a_command_category_runs_its_command_as_written(project: Project) -> None:
    job = jobs(project)["tools"]
    assert job.argv == ("ruff", "check") and job.junit_source is None and not job.is_pytest


def test_a_categorys_workers_are_its_own_processes_claiming_work(project: Project) -> None:
    job = jobs(project, keyword="api", pytest_args=("-vv",))["unit"]
    assert job.slices == 2 and "-n" not in job.argv  # no xdist: netra-run's own workers
    share = job.shares()[1]
    argv = share.argv
    assert f"--netra-slice=2/{job.slices}" in argv
    assert any(a.startswith("--netra-claims=") for a in argv)
    assert f"cache_dir={share.report_dir / '.pytest_cache'}" in argv  # a cache each
    # the category's args, then the command line's, then the paths after `--`
    tail = argv[argv.index("--strict-markers") :]
    assert tail[:3] == ("--strict-markers", "--redis-url={REDIS_URL}", "-vv")
    assert tail[-2:] == ("--", "tests/unit")
