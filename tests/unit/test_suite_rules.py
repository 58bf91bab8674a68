"""The rules real suites meet: masking that keeps the shape, pytest's JUnit names, whose
timeout wins, which Python runs a suite, and when a run with only skips is empty."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from netra_runner.errors import ExitCode
from netra_runner.execution.suite_events import junit_names
from netra_runner.interpreters import problem, resolve
from netra_runner.plugin.masking import MASK, Masker, secrets_in
from netra_runner.plugin.timeouts import timeouts
from netra_runner.reporting.console import closing_text
from netra_runner.results import CategoryResult, Outcome, RunResult, Status, TestResult


@pytest.mark.parametrize(
    ("secrets", "text", "shown"),
    [
        (["pw-123"], "host=db user=app password=pw-123", f"host=db user=app password={MASK}"),
        # A secret that is also a key's name: the key stays, the value goes.
        (["password"], "user=postgres password=password", f"user=postgres password={MASK}"),
        (["password"], '{"password": "password"}', f'{{"password": "{MASK}"}}'),
        # A secret is hidden inside other words too: glued to one, it would leak whole.
        (["postgres"], "postgresql://postgres:x@h/db", f"{MASK}ql://{MASK}:{MASK}@h/db"),
        (["hunter22"], "pw_hunter22 xhunter22x", f"pw_{MASK} x{MASK}x"),
        (["abc"], "under_abc", f"under_{MASK}"),
        (["hunter22"], "token hunter22: refused", f"token {MASK}: refused"),
        (["p@ss/w"], "it was p@ss/word", f"it was {MASK}ord"),
        # Passwords nobody declared, in a URL or a keyword DSN, are hidden too.
        ([], "redis://:s3cret@cache:6379/0", f"redis://:{MASK}@cache:6379/0"),
        ([], "Server=x;Pwd='a b';Db=y", f"Server=x;Pwd={MASK};Db=y"),
        ([], "http://h:8080/p?to=a@b", "http://h:8080/p?to=a@b"),
    ],
)
def test_masking_hides_values_and_keeps_the_shape(
    secrets: list[str], text: str, shown: str
) -> None:
    mask = Masker(secrets)
    assert mask(text) == shown
    assert mask(mask(text)) == shown


def test_passwords_in_dsns_and_urls_are_secrets() -> None:
    env = {"DSN": "host=x password='s3 cret' user=u", "URL": "redis://:pw123@h", "A": "b"}
    assert sorted(secrets_in(env)) == ["pw123", "s3 cret"]


@pytest.mark.parametrize(
    ("nodeid", "names"),
    [
        ("tests/test_a.py::test_p[a::b]", ("tests.test_a", "test_p[a::b]")),
        ("tests/test_a.py::TestK::test_m[x[1]]", ("tests.test_a.TestK", "test_m[x[1]]")),
        ("tests/test_a.py::test_p[p/q]", ("tests.test_a", "test_p[p/q]")),
        ("tests/test_a.py", ("", "tests.test_a")),  # a module skipped at import
        ("a.py::C::()::t", ("a.C", "t")),
    ],
)
def test_junit_names_are_pytests_own(nodeid: str, names: tuple[str, str]) -> None:
    assert junit_names(nodeid) == names


@pytest.mark.parametrize(
    ("netra", "suite", "chosen"),
    [
        (300.0, None, (300.0, 300.0)),  # no pytest-timeout setting: netra-run's
        (300.0, 2.0, (0.0, 2.0)),  # the suite's is stricter: it fires, netra-run sets none
        (0.5, 2.0, (0.5, 0.5)),  # netra-run's is stricter
        (0.0, 30.0, (0.0, 30.0)),  # timeout: none; the suite's alone
        (0.0, None, (0.0, 0.0)),
    ],
)
def test_the_stricter_timeout_wins(
    netra: float, suite: float | None, chosen: tuple[float, float]
) -> None:
    assert timeouts(netra, suite) == chosen


def test_a_category_python_is_a_file_a_venv_folder_or_a_name_on_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    venv = tmp_path / "svc" / ".venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "python").symlink_to(sys.executable)
    assert resolve(("svc/.venv",), tmp_path).argv == (str(venv / "python"),)
    flagged = resolve(("svc/.venv/bin/python", "-bb"), tmp_path)
    assert flagged.argv == (str(venv / "python"), "-bb") and flagged.named
    monkeypatch.setenv("PATH", str(venv))
    assert problem("python", tmp_path) is None
    assert resolve(("python",), tmp_path).argv == (str(venv / "python"),)
    assert problem("svc/.venv", tmp_path) is None
    assert problem("svc", tmp_path) == "'svc' is a folder with no bin/python (not a virtualenv)"
    assert problem("no/such/python", tmp_path) == f"no interpreter 'no/such/python' in {tmp_path}"
    assert problem("python9.99", tmp_path) == "no interpreter 'python9.99' on PATH"
    assert not resolve(None, tmp_path).named


def _run(*outcomes: Outcome) -> RunResult:
    tests = tuple(
        TestResult("unit", "t", f"test_{n}", o, message="no redis") for n, o in enumerate(outcomes)
    )
    return RunResult((CategoryResult("unit", Status.PASSED, tests),), 1.0)


def test_a_run_of_only_skips_ran_nothing() -> None:
    assert _run(Outcome.SKIPPED, Outcome.SKIPPED).exit_code() is ExitCode.NOTHING_RAN
    assert _run(Outcome.SKIPPED, Outcome.PASSED).exit_code() is ExitCode.OK
    assert _run(Outcome.SKIPPED, Outcome.XFAILED).exit_code() is ExitCode.OK  # it ran
    category = _run(Outcome.SKIPPED, Outcome.SKIPPED).categories[0]
    assert category.all_skipped and category.skip_reason() == "no redis"


def test_the_closing_line_names_xfailed_and_xpassed_as_pytest_does() -> None:
    line = closing_text({"passed": 9, "failed": 2, "skipped": 3, "xfailed": 2, "xpassed": 1}, 1.0)
    assert line == "netra-run: 9 passed, 2 failed, 3 skipped, 2 xfailed, 1 xpassed in 1.0s"
