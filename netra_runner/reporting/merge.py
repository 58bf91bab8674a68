"""`netra-run report merge`: the reports of several runs (CI shards) as one.

A category run on several shards becomes one testsuite (JUnit) or one category (JSON) with
all of their tests. Shards run side by side, so times merge as the longest, not the sum.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from junitparser import Error, Failure, JUnitXml, Skipped, TestSuite
from junitparser.xunit2 import TestCase

from netra_runner.cover.result import CoverageResult
from netra_runner.errors import ExitCode, UsageError
from netra_runner.reporting import json_report
from netra_runner.reporting.console import closing_text
from netra_runner.reporting.files import write_bytes
from netra_runner.reporting.html_report import write_html
from netra_runner.reporting.junit import COUNTED, clean, xml_bytes
from netra_runner.reporting.shard_check import shard_problems

SHARDS = "shards"  # the merged reports' pseudo-category for problems of the shard set

_WORST_FIRST = ("error", "failed", "interrupted", "stopped", "passed", "no tests", "skipped")
_EXIT_SEVERITY = (
    ExitCode.INTERNAL,
    ExitCode.SERVICES,
    ExitCode.INTERRUPTED,
    ExitCode.USAGE,
    ExitCode.TESTS_FAILED,
)


@dataclass
class Inputs:
    junit: list[Path] = field(default_factory=list)
    json: list[Path] = field(default_factory=list)

    @classmethod
    def find(cls, paths: Iterable[Path]) -> Inputs:
        """Files as given; a folder stands for the junit.xml and report.json inside it."""
        found = cls()
        for path in paths:
            candidates = [path / "junit.xml", path / "report.json"] if path.is_dir() else [path]
            if not path.exists():
                raise UsageError(f"{path}: no such file or folder")
            for candidate in candidates:
                if candidate.suffix == ".xml" and candidate.is_file():
                    found.junit.append(candidate)
                elif candidate.suffix == ".json" and candidate.is_file():
                    found.json.append(candidate)
                elif not path.is_dir():
                    raise UsageError(f"{path}: expected a JUnit .xml or a netra-run .json report")
        if not (found.junit or found.json):
            raise UsageError("no junit.xml or report.json found in the given folders")
        return found


def merge_junit(paths: list[Path], problems: Sequence[str] = ()) -> JUnitXml:
    merged = JUnitXml("netra-run")
    suites: dict[str, TestSuite] = {}
    wall = 0.0
    for path in paths:
        xml = _read_junit(path)
        wall = max(wall, float(xml.time or 0))
        for suite in xml:
            if suite.name in suites:
                _absorb(suites[suite.name], suite)
            else:
                suites[suite.name] = suite
                merged.add_testsuite(suite)
    if problems:
        suites[SHARDS] = _problems_suite(problems)
        merged.add_testsuite(suites[SHARDS])
    merged.tests = sum(int(s.tests or 0) for s in suites.values())
    merged.failures = sum(int(s.failures or 0) for s in suites.values())
    merged.errors = sum(int(s.errors or 0) for s in suites.values())
    merged.time = round(wall, 3)
    return merged


def _problems_suite(problems: Sequence[str]) -> TestSuite:
    """Each problem of the shard set as an errored testcase: every JUnit reader shows it."""
    suite = TestSuite(SHARDS)
    suite.add_property("status", "error")
    for number, problem in enumerate(problems, start=1):
        case = TestCase(f"shard set problem {number}", SHARDS)
        case.result = [Error(clean(problem), "shards")]
        suite.append(case)  # type: ignore[no-untyped-call]
    suite.tests = suite.errors = len(problems)
    suite.failures = suite.skipped = 0
    suite.time = 0.0
    return suite


def _absorb(into: TestSuite, other: TestSuite) -> None:
    for case in list(other):
        into.append(case)  # type: ignore[no-untyped-call]  # add_testcase: quadratic
    cases = list(into)
    into.tests = len(cases)
    for attribute, kind in (("failures", Failure), ("errors", Error), ("skipped", Skipped)):
        setattr(into, attribute, sum(any(isinstance(r, kind) for r in c.result) for c in cases))
    _add_counts(into, other)
    into.time = round(max(float(into.time or 0), float(other.time or 0)), 3)


def _add_counts(into: TestSuite, other: TestSuite) -> None:
    """The outcomes JUnit has no element for (xfailed, ...) are counts in properties."""
    mine = {p.name: p for p in into.properties()}  # type: ignore[no-untyped-call]
    theirs = {p.name: p.value for p in other.properties()}  # type: ignore[no-untyped-call]
    for name in COUNTED:
        total = _number(mine[name].value if name in mine else 0) + _number(theirs.get(name, 0))
        if name in mine:
            into.remove_property(mine[name])
        if total:
            into.add_property(name, str(total))


def _number(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


def _read_junit(path: Path) -> JUnitXml:
    try:
        loaded: Any = JUnitXml.fromfile(str(path))  # a <testsuite> root gives a TestSuite
    except Exception as exc:  # lxml and ElementTree raise different kinds for a broken file
        raise UsageError(f"{path}: not a readable JUnit report ({exc})") from None
    if isinstance(loaded, JUnitXml):
        return loaded
    wrapped = JUnitXml("netra-run")
    wrapped.add_testsuite(loaded)
    return wrapped


# Given the reports (path, data), the merged coverage: cover/shards.py.
CoverageMerge = Callable[[list[tuple[Path, dict[str, Any]]]], CoverageResult | None]


def merge_json(paths: list[Path], coverage: CoverageMerge | None = None) -> dict[str, Any]:
    reports = [_read_json(path) for path in paths]
    problems = shard_problems(list(zip(paths, reports, strict=True)))
    categories: dict[str, dict[str, Any]] = {}
    for index, report in enumerate(reports):
        for category in report["categories"]:
            _absorb_category(categories, _tagged(category, index))
    totals: dict[str, int] = {}
    for report in reports:
        for key, value in report["totals"].items():
            totals[key] = totals.get(key, 0) + int(value)
    codes = [ExitCode(r["exit_code"]) for r in reports]
    if problems:
        categories[SHARDS] = _problems_category(problems)
        totals["error"] = totals.get("error", 0) + len(problems)
        codes.append(ExitCode.TESTS_FAILED)
    covered = coverage(list(zip(paths, reports, strict=True))) if coverage else None
    if covered is not None and covered.failed:
        codes.append(ExitCode.TESTS_FAILED)
    starts = [r["started_at"] for r in reports if r.get("started_at")]
    return {
        "version": json_report.VERSION,
        "tool": reports[0]["tool"],
        "started_at": min(starts) if starts else None,
        "duration": max(float(r.get("duration", 0)) for r in reports),
        "exit_code": int(merged_exit_code(codes)),
        "totals": totals,
        "shard_problems": problems,
        "service_error": next(
            (r["service_error"] for r in reports if r.get("service_error")), None
        ),
        "services": [
            {**s, "source": index}
            for index, report in enumerate(reports)
            for s in report.get("services", [])
        ],
        "categories": list(categories.values()),
        "merged_from": [str(p) for p in paths],
        "sources": [_source(path, report) for path, report in zip(paths, reports, strict=True)],
        "coverage": covered.as_data() if covered is not None else None,
    }


def _tagged(category: dict[str, Any], index: int) -> dict[str, Any]:
    """Each test says which report it came from: the HTML draws a lane group per shard."""
    tests = [{**test, "source": index} for test in category["tests"]]
    return {key: value for key, value in category.items() if key != "phases"} | {"tests": tests}


def _source(path: Path, report: dict[str, Any]) -> dict[str, Any]:
    """One merged report: its shard, its own clock, and when its categories started."""
    manifest = report.get("shard")
    shard = None
    if manifest:
        shard = {
            "index": manifest["index"],
            "count": manifest["count"],
            "given": len(manifest.get("tests", [])),
            "selection": int(manifest.get("selection", {}).get("tests", 0)),
        }
    return {
        "path": str(path),
        "shard": shard,
        "started_at": report.get("started_at"),
        "duration": report.get("duration"),
        "exit_code": report.get("exit_code"),
        "tests": sum(len(c["tests"]) for c in report["categories"]),
        "phases": {c["name"]: c["phases"] for c in report["categories"] if c.get("phases")},
    }


def _problems_category(problems: list[str]) -> dict[str, Any]:
    return {
        "name": SHARDS,
        "status": "error",
        "duration": 0.0,
        "reason": f"the shards given do not add up to one run: {problems[0]}",
        "services": [],
        "workers": 0,
        "counts": {"error": len(problems)},
        "output_tail": "",
        "tests": [
            {"id": f"{SHARDS}::problem-{n}", "outcome": "error", "message": problem}
            for n, problem in enumerate(problems, start=1)
        ],
    }


def _absorb_category(categories: dict[str, dict[str, Any]], category: dict[str, Any]) -> None:
    name = category["name"]
    if name not in categories:
        categories[name] = {**category, "tests": list(category["tests"])}
        return
    into = categories[name]
    into["tests"] += category["tests"]
    into["counts"] = {k: into["counts"].get(k, 0) + v for k, v in category["counts"].items()}
    into["duration"] = max(into["duration"], category["duration"])
    into["workers"] += category["workers"]
    into["services"] = sorted(set(into["services"]) | set(category["services"]))
    into["status"] = min(into["status"], category["status"], key=_WORST_FIRST.index)
    into["reason"] = into["reason"] or category["reason"]


def merged_exit_code(codes: list[ExitCode]) -> ExitCode:
    """A shard with nothing to run is fine when another ran tests; otherwise the worst wins."""
    for code in _EXIT_SEVERITY:
        if code in codes:
            return code
    if ExitCode.OK in codes:
        return ExitCode.OK
    return ExitCode.NOTHING_RAN


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: not a readable JSON report ({exc})") from None
    if not isinstance(data, dict) or data.get("version") != json_report.VERSION:
        found = data.get("version") if isinstance(data, dict) else None
        raise UsageError(
            f"{path}: not a netra-run report version {json_report.VERSION} (version: {found!r})"
        )
    return data


def write_merged(
    inputs: Inputs, folder: Path, coverage: CoverageMerge | None = None
) -> tuple[dict[str, Any] | None, JUnitXml | None]:
    data = merge_json(inputs.json, coverage) if inputs.json else None
    problems = data["shard_problems"] if data else ()
    junit = merge_junit(inputs.junit, problems) if inputs.junit else None
    if junit is not None:
        folder.mkdir(parents=True, exist_ok=True)
        write_bytes(folder / "junit.xml", xml_bytes(junit))
    if data is not None:
        json_report.write_json(data, folder / "report.json")
        write_html(data, closing_line(data), folder / "report.html")
    return data, junit


def closing_line(data: dict[str, Any]) -> str:
    text = closing_text(data["totals"], float(data["duration"]))
    text = f"{text} (merged from {len(data['merged_from'])})"
    covered = data.get("coverage")
    return f"{text}; {CoverageResult.from_data(covered).verdict()}" if covered else text
