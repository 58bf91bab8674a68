"""What a user sees for bad config and bad flags: one clear line, exit 2, no traceback."""

import os
import signal
import sys
import time
from pathlib import Path

import pytest
from helpers import netra

import netra_runner
from netra_runner import interrupts
from netra_runner.errors import ExitCode
from netra_runner.options import RunOptions
from netra_runner.workflow import execute, guard


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
    code = execute(lambda: RunOptions(all=True, cwd=tmp_path), Console(file=sys.stdout), err)
    assert code == ExitCode.INTERNAL
    log = tmp_path / "reports" / "netra-run-error.log"
    assert "RuntimeError: a bug" in log.read_text()
    assert "internal error (a bug in netra-run): RuntimeError: a bug; traceback in" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_error_while_cleaning_up_after_an_interrupt_still_exits_130(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sig: signal.Signals
) -> None:
    """Python's KeyboardInterrupt can land where the standard library does not survive it
    (a lock released twice): the run was still interrupted, and says so."""

    def interrupted_then_broken() -> int:
        with interrupts.as_interrupt():
            try:
                os.kill(os.getpid(), sig)
                time.sleep(5)
            except KeyboardInterrupt:
                raise RuntimeError("release unlocked lock") from None
        return 0

    from rich.console import Console

    # As in a terminal: an xdist worker running this test ignores SIGINT.
    ignored = signal.signal(signal.SIGINT, signal.default_int_handler)
    before = signal.getsignal(sig)
    try:
        code = guard(interrupted_then_broken, Console(file=sys.stderr), tmp_path)
        restored = signal.getsignal(sig)
    finally:
        signal.signal(signal.SIGINT, ignored)
    assert code == ExitCode.INTERRUPTED
    said = capsys.readouterr().err
    assert "interrupted (cleaning up after it hit RuntimeError: release unlocked lock" in said
    assert "RuntimeError" in (tmp_path / "netra-run-error.log").read_text()
    assert restored is before


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


BOMB = (
    "version: 1\na: &a [x,x,x,x,x,x,x,x,x]\n"
    + "".join(
        f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "categories: {u: {paths: *i}}\n"
)
UNIT = "version: 1\ncategories:\n  u: {paths: [t], %s}\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (BOMB, "the file expands to over 100000 values"),
        (
            "version: 1\ncategories:\n  u:\n    paths: &a [x, *a]\n",
            "categories.yaml:4: categories.u.paths[1]: an alias refers to a value that contains it",
        ),
        (
            "version: 1\ncategories:\n  u:\n    paths: " + "[" * 1000 + "]" * 1000 + "\n",
            "categories.yaml:4: nested over 40 levels deep",
        ),
        (UNIT % 'description: "a\x00b"', "categories.yaml:3: a control character ('\\x00')"),
        (UNIT % 'description: "a\\0b"', "categories.u.description: a NUL character"),
        (UNIT % ("retries: " + "9" * 5000), "categories.u.retries: cannot read"),
        (
            UNIT % ("retries: " + "9" * 4000),
            "categories.u.retries: Input should be less than or equal to 100",
        ),
        (UNIT % "timeout: .inf", "categories.u.timeout: expected seconds above 0 and at most"),
        (
            UNIT % "markers: '(('",
            "categories.u.markers: not a valid pytest -m expression: ((: at column 3",
        ),
        (
            "version: 1\nservices:\n  s: {image: x, healthcheck: {log: 'a{99999999999}'}}\ncategories:\n  u: {paths: [t]}\n",
            "services.s.healthcheck.log: not a valid regular expression",
        ),
        (
            "version: 1\ncategories:\n  u: {paths: [tests/integation]}\n",
            "categories.yaml:3: categories.u.paths[0]: 'tests/integation' does not exist in",
        ),
    ],
)
def test_hostile_configs_are_a_located_error(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "tests" / "integration").mkdir(parents=True)
    (tmp_path / "categories.yaml").write_text(text)
    ran = netra(tmp_path, "--all", timeout=30)
    assert ran.code == 2, ran.out + ran.err
    assert expected in ran.err and "Traceback" not in ran.out + ran.err
    if "integation" in text:
        assert ran.err.rstrip().endswith("did you mean tests/integration?")


def test_a_file_that_is_not_utf8_names_its_line(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "categories.yaml").write_bytes(
        b"version: 1\ncategories:\n  u: {paths: [t], description: \xff}\n"
    )
    ran = netra(tmp_path, "--all")
    assert ran.code == 2 and "categories.yaml:3: not UTF-8 text: byte 0xff at column 32" in ran.err


def test_a_thousand_long_depends_on_chain_is_planned(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    chain = "".join(f"  c{i}: {{paths: [t], depends_on: [c{i + 1}]}}\n" for i in range(1000))
    (tmp_path / "categories.yaml").write_text(
        f"version: 1\ncategories:\n{chain}  c1000: {{paths: [t]}}\n"
    )
    ran = netra(tmp_path, "-c", "c0", "--plan", timeout=60)
    assert ran.code == 0, ran.err
    assert ran.out.startswith("1001 to run, 0 skipped")


def test_markup_and_escapes_in_user_text_are_shown_as_text(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "categories.yaml").write_text(
        'version: 1\ncategories:\n  u: {paths: [t], description: "[/] [link=x]y[/link] \\e[31mred"}\n'
    )
    ran = netra(tmp_path, "--list")
    assert ran.code == 0, ran.err
    assert "[/] [link=x]y[/link]" in ran.out and "\\x1b[31mred" in ran.out and "\x1b" not in ran.out


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["-k", "(("], "Wrong expression passed to '-k': ((: at column 3"),
        (["-m", "(("], "Wrong expression passed to '-m': ((: at column 3"),
        (["-k", "\N{SLIGHTLY SMILING FACE}"], "unexpected character"),
        (["--workers", "\N{SUPERSCRIPT TWO}"], "--workers: expected a whole number or 'auto'"),
        (["--shard", "1/99999999999999999999"], "--shard: at most 10000 shards"),
        (["--shard", "3/2"], "--shard: expected K/N with 1 <= K <= N"),
        (["--timeout", "inf"], "--timeout: expected seconds above 0 and at most 604800"),
        (["--timeout", "1e308"], "--timeout: expected seconds above 0 and at most 604800"),
        (
            ["--retries", "99999999999999999999999"],
            "--retries: expected 0 to 100, got a 23-digit number",
        ),
        (["--json", "/proc/x.json"], "--json /proc/x.json: cannot write in /proc"),
        (["--html", "t"], "--html t: is a folder"),
        (["--reports-dir", "/proc/1/x"], "--reports-dir: cannot write in /proc/1/x"),
    ],
)
def test_bad_flag_values_are_usage_errors_before_anything_runs(
    tmp_path: Path, flags: list[str], expected: str
) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "test_a.py").write_text("def test_a():\n    pass\n")
    (tmp_path / "categories.yaml").write_text("version: 1\ncategories:\n  u: {paths: [t]}\n")
    ran = netra(tmp_path, "-c", "u", *flags, timeout=30)
    assert ran.code == 2, ran.out + ran.err
    assert expected in ran.out + ran.err and "Traceback" not in ran.out + ran.err
    assert not (tmp_path / "reports" / "categories").exists()  # nothing ran


def test_a_line_number_is_never_turned_into_an_emoji(tmp_path: Path) -> None:
    # rich reads ':100:' as the emoji code for a hundred points unless told not to.
    padding = "".join(f"# line {n}\n" for n in range(1, 98))
    config = padding + "version: 1\ncategories:\n  u: {pahts: [t]}\n"  # the key: line 100
    (tmp_path / "categories.yaml").write_text(config)
    ran = netra(tmp_path, "--all")
    assert ran.code == 2
    assert "categories.yaml:100: categories.u.pahts: unknown key" in ran.err, ran.err


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["--no-such-flag"], "netra-run: error: No such option: --no-such-flag"),
        (["-c"], "netra-run: error: Option '-c' requires an argument."),
        (["--workers"], "netra-run: error: Option '--workers' requires an argument."),
        (["-xs"], "netra-run: error: -s is pytest's option, not netra-run's"),
        (["-vs"], "netra-run: error: -s is pytest's option, not netra-run's"),
        (["report", "merge", "--nope"], "netra-run: error: No such option: --nope"),
    ],
)
def test_flag_parser_errors_are_one_line_like_every_usage_error(
    tmp_path: Path, words: list[str], expected: str
) -> None:
    (tmp_path / "categories.yaml").write_text("version: 1\ncategories:\n  u: {paths: [.]}\n")
    ran = netra(tmp_path, *words)
    assert ran.code == 2, ran.out + ran.err
    assert ran.err.startswith(expected), ran.err
    assert len(ran.err.strip().splitlines()) == 1 and "Usage:" not in ran.err
    if "pytest's option" in expected:
        assert f"netra-run ... -- {words[0]}" in ran.err
