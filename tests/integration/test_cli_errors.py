"""What a user sees for bad config and bad flags: one clear line, exit 2, no traceback."""

import sys
from pathlib import Path

import pytest
from helpers import netra

import netra_runner
from netra_runner.errors import ExitCode
from netra_runner.options import RunOptions
from netra_runner.workflow import execute


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "version: 1\ncategories:\n  unit:\n    paths: [t]\n   bad indent: 1\n",
            "categories.yaml:5: invalid YAML",
        ),
        (
            "version: 1\ncategories:\n\tunit: {paths: [t]}\n",
            "categories.yaml:3: a tab indents this line",
        ),
        (
            "version: 1\ncategories:\n  u: {paths: [t]}\n  u: {paths: [t]}\n",
            "categories.yaml:4: categories.u: duplicate key",
        ),
        (
            "version: 1\ncategories:\n  u: {paths: [t], retries: lots}\n",
            "categories.yaml:3: categories.u.retries: expected a whole number",
        ),
        (
            "version: 1\ncategories:\n  u: {paths: [t], sevices: [x]}\n",
            "categories.u.sevices: unknown key (did you mean 'services'?)",
        ),
        (
            "version: 1\ncategories:\n  a: {paths: [t], depends_on: [a]}\n",
            "dependency cycle: a -> a",
        ),
        (
            "version: 1\ncategories:\n  a: {paths: [t], services: [db]}\n",
            "categories.yaml:3: categories.a.services[0]: unknown service 'db'",
        ),
        ("", "categories.yaml:1: the file is empty"),
    ],
)
def test_config_errors(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "categories.yaml").write_text(text)
    ran = netra(tmp_path, "--all")
    assert ran.code == 2
    assert expected in ran.err
    assert ran.err.startswith("netra-run: error: ")
    assert "Traceback" not in ran.err + ran.out


def test_unknown_profile(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "categories.yaml").write_text(
        "version: 1\ncategories:\n  u: {paths: [t]}\nprofiles:\n  ci: {}\n"
    )
    ran = netra(tmp_path, "--all", "--profile", "cj")
    assert ran.code == 2
    assert "unknown profile 'cj' (did you mean 'ci'?)" in ran.err
    from_env = netra(tmp_path, "--all", env={"NETRA_PROFILE": "cj"})
    assert "unknown profile 'cj'" in from_env.err


def test_missing_config(tmp_path: Path) -> None:
    ran = netra(tmp_path, "--all")
    assert ran.code == 2
    assert "no categories.yaml in" in ran.err


def test_version_both_ways(tmp_path: Path) -> None:
    ran = netra(tmp_path, "--version")
    assert (ran.code, ran.out.strip()) == (0, f"netra-run {netra_runner.__version__}")


def test_a_bug_is_exit_4_with_the_traceback_in_a_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A stage that raises stands in for a bug; the handler around the stages is under test.
    def broken_stage(*args: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("netra_runner.workflow.load_project", broken_stage)
    (tmp_path / "categories.yaml").write_text("version: 1\n")
    from rich.console import Console

    err = Console(file=sys.stderr)
    code = execute(RunOptions(all=True, cwd=tmp_path), Console(file=sys.stdout), err)
    assert code == ExitCode.INTERNAL
    log = tmp_path / "reports" / "netra-run-error.log"
    assert "RuntimeError: a bug" in log.read_text()
    assert "internal error (a bug in netra-run); traceback in" in capsys.readouterr().err


def test_doctor_without_a_config_still_says_what_the_machine_can_run(tmp_path: Path) -> None:
    ran = netra(tmp_path, "doctor")
    assert ran.code == 2
    assert ran.out.startswith("FAIL config: no categories.yaml in ")
    for what in ("docker: ", "local PostgreSQL: ", "local Redis: "):
        assert any(line[5:].startswith(what) for line in ran.out.splitlines()), ran.out


def test_doctor_takes_a_profile(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "categories.yaml").write_text(
        "version: 1\ncategories:\n  u: {paths: [t]}\nprofiles:\n  laptop: {}\n"
    )
    assert "(profile: laptop)" in netra(tmp_path, "doctor", "--profile", "laptop").out
    wrong = netra(tmp_path, "doctor", "--profile", "lap")
    assert wrong.code == 2 and "unknown profile 'lap' (did you mean 'laptop'?)" in wrong.out
