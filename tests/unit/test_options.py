"""What the flags mean together, checked where the options record lives; and the words
of a pytest user's command line, sorted for click."""

from __future__ import annotations

import dataclasses

import pytest
import typer

from netra_runner.cli.app import app
from netra_runner.cli.command_line import rewrite
from netra_runner.errors import UsageError
from netra_runner.options import RunOptions, parse_seconds, parse_workers, verbosity


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (RunOptions(list=True, plan=True), "--list and --plan each print and exit; use one"),
        (RunOptions(plan=True, collect_only=True), "--plan and --collect-only each print"),
        (RunOptions(changed=True, changed_since="main"), "--changed is the working tree"),
        (RunOptions(fail_fast=True, maxfail=3), "-x is --maxfail 1; give one of them"),
        (RunOptions(format="json"), "--format json is the test list of --collect-only"),
        (RunOptions(all=True, categories=("unit",)), "--all runs every category"),
        (RunOptions(format="yaml", collect_only=True), "--format expects text or json"),  # type: ignore[arg-type]
        (RunOptions(services="podman"), "--services expects one of auto, docker, local"),  # type: ignore[arg-type]
        (RunOptions(keyword="a and"), "Wrong expression passed to '-k'"),
        (RunOptions(shard="3/2"), "--shard:"),
        (RunOptions(timeout=float("inf")), "--timeout: expected seconds above 0"),
        (RunOptions(budget=0.0), "--budget: expected seconds above 0"),
        (RunOptions(retries=101), "--retries: expected 0 to 100, got 101"),
        (RunOptions(maxfail=0), "--maxfail: expected at least 1, got 0"),
        (RunOptions(durations=-1), "--durations: expected at least 0, got -1"),
        (RunOptions(workers=2000), "--workers: expected 0 to 1024 or auto"),
        (RunOptions(pytest_args=("--junitxml=x.xml",)), "use netra-run's --junit"),
        (RunOptions(pytest_args=("-n4",)), "-n4 after --: netra-run sets it for every suite"),
        (RunOptions(pytest_args=("--lf",)), "use netra-run's --lf"),
        (RunOptions(pytest_args=("--cov=src",)), "use netra-run's --cov"),
        (RunOptions(cov_fail_under=100.5), "--cov-fail-under: expected a percentage from 0"),
        (RunOptions(cov_fail_under=float("nan")), "--cov-fail-under: expected a percentage"),
        (RunOptions(cov=("",), collect_only=True), "--list and --collect-only run none"),
        (RunOptions(cov_fail_under=80, list=True), "--list and --collect-only run none"),
    ],
)
def test_a_flag_that_makes_no_sense_says_why(options: RunOptions, message: str) -> None:
    with pytest.raises(UsageError) as raised:
        options.check()
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (RunOptions(keep_services=True), "--keep-services: it keeps what --real-services starts"),
        (RunOptions(services="local", services_flag=True), "--services: it chooses how"),
    ],
)
def test_a_services_flag_without_services_on_says_why(options: RunOptions, message: str) -> None:
    options.check()  # the config's defaults or a profile may still turn services on
    with pytest.raises(UsageError) as raised:
        options.check_services()
    assert message in str(raised.value)
    on = dataclasses.replace(options, real_services=True)
    on.check_services()


def test_flags_that_agree_pass() -> None:
    RunOptions(real_services=True, keep_services=True, services="local", services_flag=True).check()
    RunOptions(services="local").check()  # from NETRA_SERVICES: no --real-services needed
    RunOptions(collect_only=True, format="json", maxfail=2, durations=0).check()
    RunOptions(fail_fast=True, maxfail=1).check()


def test_values_as_typed() -> None:
    assert parse_seconds("2m", "--budget") == 120
    assert parse_seconds("90s", "--budget") == 90
    assert parse_workers("0") == 1  # pytest's -n 0: no xdist workers
    assert parse_workers("auto") == "auto"
    with pytest.raises(UsageError, match="--workers: expected a whole number"):
        parse_workers("²")
    with pytest.raises(UsageError, match="--budget: expected a time like 90s"):
        parse_seconds("soon", "--budget")
    with pytest.raises(UsageError, match="-v asks for more output and -q for less"):
        verbosity(verbose=True, quiet=True)


def test_the_stop_after_count_is_one_for_fail_fast() -> None:
    assert RunOptions(fail_fast=True).stop_after == 1
    assert RunOptions(maxfail=3).stop_after == 3
    assert RunOptions().stop_after is None


GROUP = typer.main.get_group(app)


@pytest.mark.parametrize(
    ("words", "sorted_words"),
    [
        (["tests/x.py::test_y", "-v"], ["-v", "--file=tests/x.py::test_y"]),
        (["-c", "unit", "tests/a"], ["-c", "unit", "--file=tests/a"]),
        (["-k", "not slow", "tests"], ["-k", "not slow", "--file=tests"]),
        (["-n2", "tests"], ["-n2", "--file=tests"]),
        (["-xn", "2", "t"], ["-xn", "2", "--file=t"]),
        (
            ["--lf", "--", "-vv", "--tb=long"],
            ["--lf", "--pytest-arg=-vv", "--pytest-arg=--tb=long"],
        ),
        (["t", "--", "--", "x"], ["--file=t", "--pytest-arg=--", "--pytest-arg=x"]),
        # A subcommand's words are its own, options before it included.
        (["--config", "c.yaml", "services", "up", "db"], None),
        (["doctor"], None),
        # --cov's value may be left out, as pytest-cov's argparse allows: not an option,
        # not a node id, not the end.
        (["--cov", "-c", "unit"], ["--cov=", "-c", "unit"]),
        (["--cov", "src", "t"], ["--cov=src", "--file=t"]),
        (["--cov"], ["--cov="]),
        (["--cov", "t/x.py::test_y"], ["--cov=", "--file=t/x.py::test_y"]),
        (["--cov=pkg", "--cov", "lib"], ["--cov=pkg", "--cov=lib"]),
        # A word after a target that names a subcommand is a target.
        (["tests", "doctor"], ["--file=tests", "--file=doctor"]),
    ],
)
def test_a_pytest_users_words_are_sorted_for_click(
    words: list[str], sorted_words: list[str] | None
) -> None:
    assert rewrite(words, GROUP) == (words if sorted_words is None else sorted_words)


@pytest.mark.parametrize("word", ["-s", "--tb=short", "-p", "--capture=no", "-rA"])
def test_a_pytest_only_option_is_told_to_go_after_the_double_dash(word: str) -> None:
    with pytest.raises(UsageError, match="is pytest's option, not netra-run's; pass pytest"):
        rewrite([word, "tests"], GROUP)


def test_an_option_nobody_has_is_left_to_click() -> None:
    assert rewrite(["--no-such-thing"], GROUP) == ["--no-such-thing"]
