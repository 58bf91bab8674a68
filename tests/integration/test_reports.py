# mypy: disallow-untyped-calls=False
"""Reports written by real runs: JSON, HTML (in a real headless Chromium), flags, merge, CI."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from helpers import JUNIT_XSD, junit_properties, netra


def report(project: Path, folder: str = "reports") -> dict[str, Any]:
    data: dict[str, Any] = json.loads((project / folder / "report.json").read_text())
    return data


def test_a_run_writes_junit_json_and_html_that_agree(mixed: Path) -> None:
    ran = netra(mixed, "-c", "failing", "-c", "passing")
    assert ran.code == 1
    data = report(mixed)
    assert data["version"] == 1 and data["exit_code"] == 1
    assert data["totals"]["passed"] == 4 and data["totals"]["failed"] == 1
    failing = next(c for c in data["categories"] if c["name"] == "failing")
    wrong = next(t for t in failing["tests"] if t["outcome"] == "failed")
    assert wrong["id"] == "tests/failing/test_mixed.py::test_wrong"
    assert (wrong["file"], wrong["line"]) == ("tests/failing/test_mixed.py", 8)
    assert "the answer was computed" in wrong["output"]
    assert all("output" not in t for t in failing["tests"] if t["outcome"] == "passed")
    properties = junit_properties(mixed / "reports" / "junit.xml")
    assert properties["failing"]["services"] == "" and int(properties["failing"]["workers"]) >= 1
    page = (mixed / "reports" / "report.html").read_text()
    drawn = re.search(r"<script type=application/json id=tl-data>(.*?)</script>", page)
    assert drawn is not None
    timed = [t for c in data["categories"] for t in c["tests"] if t["started"] is not None]
    assert sorted(t[0] for t in json.loads(drawn.group(1))["tests"]) == sorted(
        t["id"] for t in timed
    )
    assert len(timed) == 6 and "tests/failing/test_mixed.py::test_wrong" in page


def test_report_paths_can_be_chosen(mixed: Path) -> None:
    ran = netra(
        mixed,
        "-c",
        "passing",
        "--junit",
        "out/j.xml",
        "--json",
        "out/r.json",
        "--html",
        "out/r.html",
    )
    assert ran.code == 0
    assert {p.name for p in (mixed / "out").iterdir()} == {"j.xml", "r.json", "r.html"}
    assert not (mixed / "reports" / "junit.xml").exists()


def test_verbose_shows_every_test_and_quiet_only_what_matters(mixed: Path) -> None:
    loud = netra(mixed, "-c", "failing", "-v")
    assert re.search(
        r"PASSED +\[failing\] tests/failing/test_mixed.py::test_fine \d+\.\d\ds", loud.out
    )
    assert "SKIPPED     [failing] tests/failing/test_mixed.py::test_later" in loud.out
    quiet = netra(mixed, "-c", "failing", "-q")
    assert "START" not in quiet.out and "slowest" not in quiet.out
    assert "FAILED      [failing] tests/failing/test_mixed.py::test_wrong" in quiet.out
    assert quiet.last_line.startswith("netra-run: 1 passed, 1 failed, 1 skipped in ")
    both = netra(mixed, "-c", "failing", "-v", "-q")
    assert both.code == 2 and "-v asks for more output and -q for less" in both.err


def test_plain_means_no_escape_codes_even_when_colour_is_forced(mixed: Path) -> None:
    ran = netra(mixed, "-c", "failing", "--plain", env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert "\x1b[" not in ran.out
    assert "START       failing" in ran.out


def test_the_summary_groups_failures_and_lists_no_test_that_took_no_time(mixed: Path) -> None:
    ran = netra(mixed, "-c", "failing", "-c", "erroring")
    assert "── failing: 1 failed " in ran.out and "── erroring: 1 error " in ran.out
    # A test that took no measurable time is never listed as a slow one (how long these
    # take depends on the machine's load: only the 0.00 s entries are certain).
    assert not re.search(r"^ +0\.00s ", ran.out, re.MULTILINE), ran.out


def test_on_github_actions_failures_are_annotated_and_summarised(
    mixed: Path, tmp_path: Path
) -> None:
    summary = tmp_path / "step-summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    ran = netra(mixed, "-c", "failing", env=env)
    assert (  # at the assertion (line 10), not the def (line 8)
        "::error file=tests/failing/test_mixed.py,line=10,title=failed%3A [failing] "
        "tests/failing/test_mixed.py%3A%3Atest_wrong::assert (6 * 7) == 43%0A" in ran.out
    )
    assert ran.last_line.startswith("netra-run: ")
    assert "| failing | failed | 1 | 1 | 1 | 0 |" in summary.read_text()
    plain = netra(mixed, "-c", "failing")
    assert "::error" not in plain.out


def test_report_merge_joins_shards(mixed: Path) -> None:
    assert netra(mixed, "-c", "passing", "--reports-dir", "shard-1").code == 0
    assert netra(mixed, "-c", "failing", "--reports-dir", "shard-2").code == 1
    ran = netra(mixed, "report", "merge", "shard-1", "shard-2", "-o", "merged")
    assert ran.code == 1, ran.out + ran.err
    assert "merged 2 JUnit and 2 JSON reports into merged" in ran.out
    assert ran.last_line.startswith("netra-run: 4 passed, 1 failed, 1 skipped in ")
    xmlschema.XMLSchema(str(JUNIT_XSD)).validate(str(mixed / "merged" / "junit.xml"))
    assert set(junit_properties(mixed / "merged" / "junit.xml")) == {"passing", "failing"}
    page = (mixed / "merged" / "report.html").read_text()
    assert "Not shards (no manifests to check)" in page and "(merged from 2)" in page
    missing = netra(mixed, "report", "merge", "nowhere")
    assert missing.code == 2 and "nowhere: no such file or folder" in missing.err


DELETES_REPORTS = """\
import os
import shutil
import time


def test_before():
    print("said before the folder went")
    time.sleep(0.5)


def test_deletes_the_reports_folder():
    shutil.rmtree(os.path.join(os.environ["NETRA_ROOT"], "reports"))
    time.sleep(0.3)


def test_after():
    print("said after the folder went")
    assert False
"""


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_test_deleting_the_reports_folder_loses_nothing(tmp_path: Path, workers: str) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_rm.py").write_text(DELETES_REPORTS)
    (tmp_path / "categories.yaml").write_text(
        f"version: 1\ncategories:\n  rm:\n    paths: [tests]\n    env: {{NETRA_ROOT: '{tmp_path}'}}\n"
    )
    ran = netra(tmp_path, "-c", "rm", "-n", workers)
    assert ran.code == 1
    assert ran.last_line.startswith("netra-run: 2 passed, 1 failed, 0 skipped in ")
    assert "was deleted during the run (by a test?)" in ran.out
    data = report(tmp_path)
    assert data["totals"]["passed"] == 2 and data["totals"]["failed"] == 1
    assert all(t["worker"] for c in data["categories"] for t in c["tests"])  # from events
    events = (tmp_path / "reports" / "events.ndjson").read_text()
    assert events.count('"test_finished"') == 3 and '"run_finished"' in events
    log = (tmp_path / "reports" / "categories" / "rm" / "output.log").read_text()
    assert "test_after" in log


def test_a_report_that_cannot_be_written_still_leaves_the_summary(tmp_path: Path) -> None:
    """A test turns the JSON report's folder into a file once the path was checked."""
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_block.py").write_text(
        "import os, shutil\n\n\ndef test_blocks_the_report_folder():\n"
        "    folder = os.path.join(os.environ['NETRA_ROOT'], 'out')\n"
        "    shutil.rmtree(folder)\n"
        "    open(folder, 'w').close()\n"
    )
    (tmp_path / "categories.yaml").write_text(
        f"version: 1\ncategories:\n  t:\n    paths: [tests]\n    env: {{NETRA_ROOT: '{tmp_path}'}}\n"
    )
    ran = netra(tmp_path, "-c", "t", "--json", "out/report.json")
    assert ran.code == 2
    assert ran.last_line.startswith("netra-run: 1 passed, 0 failed, 0 skipped in ")
    assert "netra-run: error: the JSON report" in ran.err and "could not be written" in ran.err
    assert (tmp_path / "reports" / "junit.xml").is_file()  # the others were written
    assert "Traceback" not in ran.out + ran.err
