"""--cov on real runs: every pytest process measured by coverage.py, the data combined once,
held against coverage.py's own single-process total, gated, merged across shards, and read
back by a real Cobertura consumer (pycobertura)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from gitrepo import IDENTITY, git
from helpers import QUIET, netra

# Two halves of a package, each tested by its own category; `unused` is never called, so
# the total is under 100% and a lost data file would move it.
FILES = {
    "pkg/__init__.py": "",
    "pkg/left.py": (
        "def one(x):\n    if x:\n        return 1\n    return 0\n\n\n"
        "def unused():\n    total = 0\n    for n in range(3):\n        total += n\n    return total\n"
    ),
    "pkg/right.py": "def two(x):\n    if x > 1:\n        return 2\n    return -2\n",
    **{
        f"tests_left/test_left_{n}.py": f"from pkg.left import one\n\n\ndef test_{n}():\n"
        f"    assert one({n % 2}) == {n % 2}\n"
        for n in range(4)
    },
    **{
        f"tests_right/test_right_{n}.py": f"from pkg.right import two\n\n\ndef test_{n}():\n"
        f"    assert two({n}) == {2 if n > 1 else -2}\n"
        for n in range(4)
    },
    ".coveragerc": "[run]\nsource = pkg\n",
}
CATEGORIES = (
    "version: 1\ncategories:\n  left: {paths: [tests_left]}\n  right: {paths: [tests_right]}\n"
)


def make_project(root: Path, categories: str = CATEGORIES, **more: str) -> Path:
    for name, text in {**FILES, "categories.yaml": categories, **more}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def report(root: Path, folder: str = "reports") -> dict[str, Any]:
    return json.loads((root / folder / "report.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def coverage_alone(root: Path, *tests: str) -> float:
    """coverage.py's own total for the same tests in one process: what netra-run must match."""
    env = {**QUIET, "COVERAGE_FILE": str(root / ".coverage-alone")}
    run = [sys.executable, "-m", "coverage", "run", "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    subprocess.run([*run, *tests], cwd=root, env=env, check=True, capture_output=True)
    done = subprocess.run(
        [sys.executable, "-m", "coverage", "report", "--format=total", "--precision=6"],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return float(done.stdout.strip())


def test_two_categories_covering_each_half_combine_to_coverage_pys_own_total(
    tmp_path: Path,
) -> None:
    root = make_project(tmp_path)
    ran = netra(root, "--all", "--cov", "--plain")
    assert ran.code == 0, ran.out + ran.err
    data = report(root)["coverage"]
    alone = coverage_alone(root, "tests_left", "tests_right")
    assert data["total"] == pytest.approx(alone, abs=1e-6)
    assert 50 < data["total"] < 100  # `unused` is missed: the gap a lost file would widen
    by_file = {f["path"]: f for f in data["files"]}
    assert by_file["pkg/left.py"]["categories"] == ["left"]
    assert by_file["pkg/right.py"]["categories"] == ["right"]
    assert by_file["pkg/right.py"]["missing"] == 0
    assert data["files"][0]["path"] == "pkg/left.py"  # least covered first
    assert ran.last_line.endswith(f"; coverage {round(alone)}%")
    assert "pkg/left.py" in ran.out and "least covered" in ran.out
    for name in (".coverage", "coverage.xml", "coverage.json"):
        assert (root / "reports" / name).is_file()
    assert "id=coverage" in (root / "reports" / "report.html").read_text(encoding="utf-8")


def test_cobertura_output_is_read_by_a_real_consumer(tmp_path: Path) -> None:
    cobertura = pytest.importorskip("pycobertura").Cobertura
    root = make_project(tmp_path)
    assert netra(root, "--all", "--cov", "--plain").code == 0
    read = cobertura(str(root / "reports" / "coverage.xml"))
    total = report(root)["coverage"]["total"]
    assert read.line_rate() * 100 == pytest.approx(total, abs=0.01)
    assert sorted(read.files()) == ["__init__.py", "left.py", "right.py"]
    assert [line for line, _ in read.missed_lines("left.py")] == [8, 9, 10, 11]  # unused's
    assert read.missed_lines("right.py") == []


def test_each_xdist_worker_and_each_slice_writes_its_own_data_and_they_combine(
    tmp_path: Path,
) -> None:
    categories = "version: 1\ncategories:\n  both: {paths: [tests_left, tests_right], workers: 2}\n"
    root = make_project(tmp_path, categories)
    ran = netra(root, "--all", "--cov", "--xdist", "--workers", "2", "--plain")
    assert ran.code == 0, ran.out + ran.err
    files = list((root / "reports" / "categories" / "both" / "coverage").glob(".coverage.*"))
    assert len(files) == 2  # one per worker; the controller runs no test and writes none
    workers = {t["worker"] for t in report(root)["categories"][0]["tests"]}
    assert workers == {"gw0", "gw1"}
    alone = coverage_alone(root, "tests_left", "tests_right")
    assert report(root)["coverage"]["total"] == pytest.approx(alone, abs=1e-6)
    # Now the history knows the category: it is sliced, two pytest processes of its own.
    sliced = netra(root, "--all", "--cov", "--workers", "2", "--plain")
    assert sliced.code == 0, sliced.out + sliced.err
    assert (root / "reports" / "categories" / "both" / "shares").is_dir()
    assert len(list((root / "reports/categories/both/coverage").glob(".coverage.*"))) == 2
    assert report(root)["coverage"]["total"] == pytest.approx(alone, abs=1e-6)


def test_three_shards_merge_to_the_unsharded_total_and_the_gate_applies_to_the_merge(
    tmp_path: Path,
) -> None:
    root = make_project(tmp_path)
    whole = netra(root, "--all", "--cov", "--plain")
    assert whole.code == 0, whole.out + whole.err
    total = report(root)["coverage"]["total"]
    gate = str(int(total) - 1)
    for k in (1, 2, 3):  # each shard's part is under the gate; only the merge is held to it
        ran = netra(
            root, "--all", "--cov-fail-under", gate, "--shard", f"{k}/3", "--reports-dir", f"s{k}"
        )
        assert ran.code == 0, ran.out + ran.err
        assert "gate applies to report merge's total" in ran.last_line
        assert (root / f"s{k}" / ".coverage").is_file()
    parts = [report(root, f"s{k}")["coverage"]["total"] for k in (1, 2, 3)]
    assert all(part < total for part in parts)
    merged = netra(root, "report", "merge", "s1", "s2", "s3", "-o", "merged")
    assert merged.code == 0, merged.out + merged.err
    assert report(root, "merged")["coverage"]["total"] == pytest.approx(total, abs=1e-9)
    assert report(root, "merged")["coverage"]["fail_under"] == int(gate)
    strict = netra(
        root, "report", "merge", "s1", "s2", "s3", "-o", "merged", "--cov-fail-under", "99"
    )
    assert strict.code == 1
    assert strict.last_line.endswith("is under 99% (--cov-fail-under)")
    (root / "s2" / ".coverage").unlink()  # an artifact upload that dropped hidden files
    lost = netra(root, "report", "merge", "s1", "s2", "s3", "-o", "merged")
    assert lost.code == 1, lost.out  # the total without shard 2 is under the gate
    assert "include-hidden-files" in lost.out


def test_the_gate_fails_a_green_run_below_it_and_says_coverage_alone(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    below = netra(root, "--all", "--cov-fail-under", "99", "--plain")
    assert below.code == 1, below.out + below.err
    data = report(root)
    assert data["totals"]["failed"] == 0 and data["exit_code"] == 1
    assert data["coverage"]["failed"] is True
    assert below.last_line.startswith("netra-run: 8 passed, 0 failed, 0 skipped in ")
    assert below.last_line.endswith("is under 99% (--cov-fail-under)")
    above = netra(root, "--all", "--cov-fail-under", "50", "--plain")
    assert above.code == 0, above.out
    assert report(root)["coverage"]["failed"] is False


def test_the_gate_comes_from_the_flag_then_categories_yaml_then_coverage_pys_config(
    tmp_path: Path,
) -> None:
    gated = CATEGORIES + "coverage: {fail_under: 99}\n"
    root = make_project(
        tmp_path, gated, **{".coveragerc": "[run]\nsource = pkg\n[report]\nfail_under = 10\n"}
    )
    ran = netra(root, "--all", "--cov", "--plain")
    assert ran.code == 1 and ran.last_line.endswith("(coverage.fail_under in categories.yaml)")
    assert netra(root, "--all", "--cov", "--cov-fail-under", "50").code == 0
    (root / "categories.yaml").write_text(CATEGORIES + "coverage: {fail_under: 99.5}\nx: 1\n")
    typo = netra(root, "--all", "--cov")
    assert typo.code == 2 and "categories.yaml" in typo.err and "x" in typo.err
    (root / "categories.yaml").write_text(CATEGORIES)
    (root / ".coveragerc").write_text("[run]\nsource = pkg\n[report]\nfail_under = 99\n")
    assert netra(root, "--all", "--cov").last_line.endswith("(fail_under in .coveragerc)")


def test_a_failing_test_and_the_gate_both_fail_the_run_and_both_are_said(tmp_path: Path) -> None:
    broken = {"tests_right/test_right_0.py": "def test_0():\n    assert False\n"}
    root = make_project(tmp_path, **broken)
    ran = netra(root, "--all", "--cov-fail-under", "99", "--plain")
    assert ran.code == 1
    assert ", 1 failed," in ran.last_line and "is under 99%" in ran.last_line


def test_what_was_not_measured_is_listed_with_why(tmp_path: Path) -> None:
    categories = (
        "version: 1\ncategories:\n"
        "  left: {paths: [tests_left], env: {PYTHONPATH: 'nocov:.'}}\n"
        "  right: {paths: [tests_right]}\n"
        "  lint: {command: [python, -c, 'pass']}\n"
    )
    # An interpreter where coverage.py cannot be imported, as on a suite's own virtualenv.
    nocov = {"nocov/coverage/__init__.py": "raise ImportError('not installed here')\n"}
    root = make_project(tmp_path, categories, **nocov)
    ran = netra(root, "--all", "--cov", "--plain")
    assert ran.code == 0, ran.out + ran.err
    missing = {n["category"]: n["reason"] for n in report(root)["coverage"]["not_measured"]}
    assert set(missing) == {"left", "lint"}
    assert "coverage.py cannot be imported" in missing["left"]
    assert "coverage: FILE" in missing["lint"]
    assert "not measured: left:" in ran.out
    by_file = {f["path"]: f for f in report(root)["coverage"]["files"]}
    assert by_file["pkg/right.py"]["categories"] == ["right"]


def test_a_command_suites_own_data_is_combined_under_its_category(tmp_path: Path) -> None:
    script = "import pkg.left\nassert pkg.left.unused() == 3\n"
    command = "[python, -m, coverage, run, --data-file=out/cmd.coverage, script.py]"
    categories = CATEGORIES + f"  script: {{command: {command}, coverage: out/cmd.coverage}}\n"
    root = make_project(tmp_path, categories, **{"script.py": script})
    ran = netra(root, "--all", "--cov", "--plain")
    assert ran.code == 0, ran.out + ran.err
    data = report(root)["coverage"]
    assert data["not_measured"] == []
    by_file = {f["path"]: f for f in data["files"]}
    assert by_file["pkg/left.py"]["categories"] == ["left", "script"]
    assert by_file["pkg/left.py"]["missing"] == 0  # unused ran in the script
    # Data left by an earlier run, or a path that names some other file: said, and left as
    # it was (it may be the user's file).
    (root / "categories.yaml").write_text(categories.replace("out/cmd.coverage}", "script.py}"))
    ran = netra(root, "--all", "--cov", "--plain")
    reasons = [n["reason"] for n in report(root)["coverage"]["not_measured"]]
    assert reasons == ["its coverage file script.py was not written by this run"], ran.out
    assert (root / "script.py").read_text(encoding="utf-8") == script
    writes = '[python, -c, \'open("out/text", "w").write("hello")\']'
    text = CATEGORIES + f"  script: {{command: {writes}, coverage: out/text}}\n"
    (root / "categories.yaml").write_text(text)
    ran = netra(root, "--all", "--cov", "--plain")
    reasons = [n["reason"] for n in report(root)["coverage"]["not_measured"]]
    assert len(reasons) == 1 and reasons[0].startswith("text is not coverage.py data"), ran.out


def test_changed_runs_a_category_the_last_cov_run_saw_reach_a_file_no_import_names(
    tmp_path: Path,
) -> None:
    dynamic = "import importlib\n\n\ndef test_it():\n    assert importlib.import_module('pkg.' + 'right').two(2) == 2\n"
    categories = CATEGORIES + "  dyn: {paths: [tests_dyn]}\n"
    root = make_project(tmp_path, categories, **{"tests_dyn/test_dyn.py": dynamic})
    (root / ".gitignore").write_text("reports/\n.netra/\n__pycache__/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, *IDENTITY, "commit", "-qm", "start")
    (root / "pkg" / "right.py").write_text(FILES["pkg/right.py"] + "# changed\n")
    before = netra(root, "--changed", "--plan")
    assert "run  dyn" not in before.out  # no import reaches it: the graph alone misses it
    assert netra(root, "--all", "--cov", "--plain").code == 0
    after = netra(root, "--changed", "--plan")
    # The run measured each test: the one test that ran the file, not its whole category.
    assert (
        "run  dyn (--all; touched by the change (tests_dyn/test_dyn.py::test_it: the last "
        "--cov run saw it run pkg/right.py))" in after.out
    )
    assert "run  left" not in after.out


def test_a_suite_that_turns_pytest_cov_on_is_measured_once_by_netra_run(tmp_path: Path) -> None:
    pytest.importorskip("pytest_cov")
    own = "[-p, pytest_cov, --cov=pkg, --cov-report=term]"  # as a suite's addopts would
    categories = (
        "version: 1\ncategories:\n"
        f"  both: {{paths: [tests_left, tests_right], workers: 2, args: {own}}}\n"
    )
    root = make_project(tmp_path, categories)
    ran = netra(root, "--all", "--cov", "--xdist", "--workers", "2", "--plain")
    assert ran.code == 0, ran.out + ran.err
    assert len(list((root / "reports/categories/both/coverage").glob(".coverage.*"))) == 2
    alone = coverage_alone(root, "tests_left", "tests_right")
    assert report(root)["coverage"]["total"] == pytest.approx(alone, abs=1e-6)
    log = (root / "reports/categories/both/output.log").read_text(encoding="utf-8")
    assert "coverage: platform" not in log  # pytest-cov stayed off: no report of its own
    assert not (root / ".coverage").exists()


def test_cov_flags_that_make_no_sense_say_why(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    for args, said in (
        (("--cov-fail-under", "101"), "--cov-fail-under: expected a percentage from 0 to 100"),
        (("--cov", "--collect-only"), "--list and --collect-only run none"),
        (("--", "--cov=pkg"), "use netra-run's --cov"),
    ):
        ran = netra(root, "--all", *args)
        assert ran.code == 2 and said in ran.err, (args, ran.err)
