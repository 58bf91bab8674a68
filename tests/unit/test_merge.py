import dataclasses
from pathlib import Path

import pytest
import xmlschema
from helpers import JUNIT_XSD, timed_run
from junitparser import JUnitXml

from netra_runner.errors import ExitCode, UsageError
from netra_runner.reporting.json_report import report_data, write_json
from netra_runner.reporting.junit import write_junit
from netra_runner.reporting.merge import Inputs, merge_json, merged_exit_code, write_merged
from netra_runner.results import CategoryResult, Outcome, RunResult, Status, TestResult


def shard(folder: Path, run: RunResult) -> Path:
    write_junit(run, folder / "junit.xml")
    write_json(report_data(run), folder / "report.json")
    return folder


def passing_shard() -> RunResult:
    tests = (TestResult("websocket", "t", "other", Outcome.PASSED, 0.1, nodeid="t.py::other"),)
    return RunResult((CategoryResult("websocket", Status.PASSED, tests, 9.0, workers=1),), 9.5)


def test_shards_merge_into_one_suite_per_category(tmp_path: Path) -> None:
    first = shard(tmp_path / "shard-1", timed_run())
    second = shard(tmp_path / "shard-2", passing_shard())
    data, _ = write_merged(Inputs.find([first, second]), tmp_path / "merged")
    xmlschema.XMLSchema(str(JUNIT_XSD)).validate(str(tmp_path / "merged" / "junit.xml"))
    suites = {s.name: s for s in JUnitXml.fromfile(str(tmp_path / "merged" / "junit.xml"))}
    assert set(suites) == {"websocket", "e2e"}
    assert (suites["websocket"].tests, suites["websocket"].failures) == (7, 1)
    assert float(suites["websocket"].time) == 9.0  # shards run side by side
    assert data is not None
    websocket = data["categories"][0]
    assert (websocket["status"], len(websocket["tests"]), websocket["workers"]) == ("failed", 7, 3)
    assert data["totals"]["passed"] == 6
    assert (data["exit_code"], data["duration"]) == (1, 9.5)
    # Which report each test and service came from: the HTML's lane group per shard.
    assert [s["tests"] for s in data["sources"]] == [6, 1]
    assert [t["source"] for t in websocket["tests"]] == [0] * 6 + [1]
    assert [s["source"] for s in data["services"]] == [0]
    assert "phases" not in websocket  # each shard's own, under its source
    assert (tmp_path / "merged" / "report.html").read_text().count("<tr><td>websocket</td>") == 1


def test_exit_codes_merge_worst_first_and_an_empty_shard_is_fine() -> None:
    assert merged_exit_code([ExitCode.OK, ExitCode.NOTHING_RAN]) is ExitCode.OK
    assert merged_exit_code([ExitCode.NOTHING_RAN] * 2) is ExitCode.NOTHING_RAN
    assert merged_exit_code([ExitCode.TESTS_FAILED, ExitCode.SERVICES]) is ExitCode.SERVICES


def test_a_file_that_is_not_a_report_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "report.json"
    broken.write_text('{"version": 99}')
    with pytest.raises(
        UsageError, match=r"report.json: not a netra-run report version 1 \(version: 99\)"
    ):
        merge_json([broken])
    with pytest.raises(UsageError, match="no such file or folder"):
        Inputs.find([tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match=r"no junit\.xml or report\.json found"):
        Inputs.find([tmp_path / "empty"])


def test_a_category_status_keeps_the_worst(tmp_path: Path) -> None:
    errored = dataclasses.replace(
        passing_shard(), categories=(CategoryResult("websocket", Status.ERROR, reason="crashed"),)
    )
    data = merge_json(
        [
            shard(tmp_path / "a", passing_shard()) / "report.json",
            shard(tmp_path / "b", errored) / "report.json",
        ]
    )
    assert data["categories"][0]["status"] == "error"
    assert data["categories"][0]["reason"] == "crashed"
