"""The coverage result's gate and wording, the settings' precedence, the views, and the
coverage map --changed reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netra_runner.cover import touches
from netra_runner.cover.result import CoverageResult, FileCoverage
from netra_runner.cover.settings import config_file, resolve
from netra_runner.errors import UsageError
from netra_runner.reporting import coverage_view

FILES = (
    FileCoverage("pkg/a|b.py", 10, 5, 50.0, ("unit",)),
    FileCoverage("pkg/c.py", 4, 0, 100.0, ("api", "unit")),
)


def test_the_gate_compares_the_total_as_shown_at_its_precision() -> None:
    # coverage.py's own rule: 79.996 shown at precision 2 is 80.00, which passes 80.
    assert not CoverageResult(79.996, 2, fail_under=80).failed
    assert CoverageResult(79.994, 2, fail_under=80).failed
    assert not CoverageResult(79.6, 0, fail_under=80).failed  # shown as 80
    assert CoverageResult(99.99, 0, fail_under=100).failed  # 100 means every line
    assert not CoverageResult(10.0).failed  # no gate


def test_no_total_or_a_partial_one_fails_a_gate_and_says_why() -> None:
    none = CoverageResult(None, error="no process wrote coverage data", fail_under=50)
    assert none.failed and "no total (no process wrote coverage data)" in none.verdict()
    partial = CoverageResult(90.0, fail_under=50, error="shard 2/3 not in it")
    assert partial.failed
    assert partial.verdict() == (
        "coverage 90% is not the whole run's (shard 2/3 not in it), the gate is 50%"
    )
    assert not CoverageResult(None).failed  # nothing to gate, nothing gated


def test_a_shards_gate_waits_for_the_merge() -> None:
    shard = CoverageResult(30.0, fail_under=80, fail_under_from="--cov-fail-under", shard="1/3")
    assert not shard.failed
    assert shard.verdict() == (
        "coverage 30% in shard 1/3 (the 80% gate applies to report merge's total)"
    )


def test_the_result_goes_through_report_json_unchanged() -> None:
    result = CoverageResult(
        66.6667, 1, FILES, (("lint", "a command suite"),), 70.0, "categories.yaml", "", "2/3"
    )
    assert CoverageResult.from_data(json.loads(json.dumps(result.as_data()))) == result


def test_the_views_escape_what_a_path_holds() -> None:
    result = CoverageResult(64.3, 0, FILES, (("lint", "why <b>"),), 80.0, "--cov-fail-under")
    markdown = coverage_view.markdown(result)
    assert "**Coverage 64%** (gate 80%: failed)" in markdown
    assert "| pkg/a\\|b.py | 10 | 5 | 50% | unit |" in markdown
    assert "- not measured: lint: why <b>" in markdown
    html = coverage_view.html(result)
    assert "why &lt;b&gt;" in html and "<b>" not in html
    assert "<td>api, unit</td>" in html


def test_the_settings_take_the_flag_then_the_yaml_then_coverage_pys_config(
    tmp_path: Path,
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.coverage.run]\nsource = ['pkg']\n[tool.coverage.report]\nfail_under = 70\n"
    )
    assert config_file(tmp_path) == tmp_path / "pyproject.toml"
    own = resolve(tmp_path, tmp_path, ("",), None, None)
    assert own.source == () and own.fail_under == 70  # the config's own source and gate
    assert own.fail_under_from == "fail_under in pyproject.toml"
    assert resolve(tmp_path, tmp_path, ("",), None, 90).fail_under == 90
    assert resolve(tmp_path, tmp_path, ("",), 50, 90).fail_under_from == "--cov-fail-under"
    (tmp_path / "lib").mkdir()
    named = resolve(tmp_path, tmp_path / "lib", ("..", "json"), None, None)
    assert named.source == (str(tmp_path), "json")  # a path from where the user is; a package


def test_without_a_coverage_config_the_project_root_is_measured(tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text("[metadata]\nname = x\n")  # no coverage section
    settings = resolve(tmp_path, tmp_path, ("",), None, None)
    assert settings.config is None and settings.source == (str(tmp_path),)
    assert settings.fail_under is None


def test_a_coverage_config_coverage_py_cannot_read_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / ".coveragerc").write_text("[run\nsource = pkg\n")
    with pytest.raises(UsageError, match=r"coverage\.py cannot read"):
        resolve(tmp_path, tmp_path, ("",), None, None)


def test_the_map_replaces_only_the_categories_a_run_measured(tmp_path: Path) -> None:
    first = CoverageResult(50.0, 0, FILES)
    touches.record(tmp_path, first, {"unit", "api"})
    assert touches.load(tmp_path) == {"api": ["pkg/c.py"], "unit": ["pkg/a|b.py", "pkg/c.py"]}
    later = CoverageResult(50.0, 0, (FileCoverage("pkg/d.py", 1, 0, 100.0, ("unit",)),))
    touches.record(tmp_path, later, {"unit"})  # api did not run: its entry stays
    assert touches.load(tmp_path) == {"api": ["pkg/c.py"], "unit": ["pkg/d.py"]}
    touches.record(tmp_path, CoverageResult(None), {"unit"})  # nothing combined: kept
    assert touches.running(touches.load(tmp_path), ["x.py", "pkg/c.py"]) == {"api": "pkg/c.py"}
    touches.map_file(tmp_path).write_text("[1, 2]")
    assert touches.load(tmp_path) == {}


def test_the_plan_says_what_cov_measures_and_its_gate(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    settings = resolve(tmp_path, tmp_path, ("lib", "json"), 80, None)
    assert coverage_view.plan_line(settings) == (
        "coverage: every pytest suite measures lib, json; gate 80% (--cov-fail-under)"
    )
    assert coverage_view.plan_line(resolve(tmp_path, tmp_path, ("",), None, None)) == (
        "coverage: every pytest suite measures the project root; no gate"
    )
