"""After the run: every process's data file combined into one (reports/.coverage), then
coverage.py's own Cobertura XML and JSON reports, and what the summary and the gate need.

coverage.py reads source files by the paths its data holds, relative to the project root
(`relative_files`, so shards on other checkouts combine), so the combining runs in a child
process started there: `python -m netra_runner.cover.combine REQUEST RESULT`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from netra_runner.cover.result import CoverageResult

COMBINED = ".coverage"
REPORTS = ("coverage.xml", "coverage.json")
COMMAND_DATA = ".coverage.command"  # a command suite's data, under its category's context
TIMEOUT = 600.0


# (category, data file, None), or a command suite's own data file and where its copy under
# the category's context goes.
Input = tuple[str, Path, Path | None]


def combine(inputs: list[Input], reports: Path, config: Path | None, root: Path) -> CoverageResult:
    """A file that is not coverage.py data lists its category as not measured; the result
    has no gate yet (the caller's)."""
    for stale in (COMBINED, *REPORTS):
        (reports / stale).unlink(missing_ok=True)
    if not inputs:
        return CoverageResult(None, error="no process wrote coverage data")
    reports.mkdir(parents=True, exist_ok=True)
    request = reports / "coverage-request.json"
    answer = reports / "coverage-result.json"
    answer.unlink(missing_ok=True)
    wanted = {
        "inputs": [[c, str(path), str(copy) if copy else ""] for c, path, copy in inputs],
        "reports": str(reports),
        "config": str(config) if config else "",
    }
    request.write_text(json.dumps(wanted), encoding="utf-8")
    argv = [sys.executable, "-m", "netra_runner.cover.combine", str(request), str(answer)]
    try:
        done = subprocess.run(argv, cwd=root, capture_output=True, text=True, timeout=TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return CoverageResult(None, error=f"combining the data failed: {exc}")
    finally:
        request.unlink(missing_ok=True)
    if done.returncode != 0 or not answer.is_file():
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return CoverageResult(None, error=f"combining the data failed: {last}")
    data = json.loads(answer.read_text(encoding="utf-8"))
    answer.unlink()
    return CoverageResult.from_data(data)


def _main(request: Path, answer: Path) -> None:
    import coverage
    from coverage.exceptions import CoverageException

    wanted = json.loads(request.read_text(encoding="utf-8"))
    reports = Path(wanted["reports"])
    usable, refused = _readable(
        [(c, Path(p), Path(t) if t else None) for c, p, t in wanted["inputs"]]
    )
    cov = coverage.Coverage(
        data_file=str(reports / COMBINED), config_file=wanted["config"] or False
    )
    cov.set_option("run:relative_files", True)
    result: dict[str, Any] = {"total": None, "error": "no coverage.py data could be read"}
    try:
        if usable:  # an empty list would have coverage.py look for files of its own
            cov.combine([str(path) for path in usable], keep=True)
            cov.save()
            total = cov.json_report(outfile=str(reports / "coverage.json"))
            cov.xml_report(outfile=str(reports / "coverage.xml"))
            result = _result(cov, reports / "coverage.json", total)
    except CoverageException as exc:  # nothing measured, a source file gone: no total, why
        result = {"total": None, "error": f"coverage.py: {exc}"}
    result["not_measured"] = [{"category": c, "reason": r} for c, r in refused]
    answer.write_text(json.dumps(result), encoding="utf-8")


def _readable(inputs: list[Input]) -> tuple[list[Path], list[tuple[str, str]]]:
    """The files coverage.py can read; a command suite's file is copied under its category's
    context first (its own run knew no categories)."""
    from coverage import CoverageData
    from coverage.exceptions import CoverageException

    usable: list[Path] = []
    refused: list[tuple[str, str]] = []
    for category, path, copy in inputs:
        data = CoverageData(basename=str(path))
        try:
            data.read()
        except (CoverageException, OSError) as exc:
            refused.append((category, f"{path.name} is not coverage.py data ({exc})"))
            continue
        if copy is not None:
            path = _relabelled(data, category, copy)
        usable.append(path)
    return usable, refused


def _relabelled(data: Any, category: str, target: Path) -> Path:
    from coverage import CoverageData

    target.parent.mkdir(parents=True, exist_ok=True)
    copy = CoverageData(basename=str(target))
    copy.erase()
    copy.set_context(category)
    files = sorted(data.measured_files())
    if data.has_arcs():
        copy.add_arcs({f: data.arcs(f) or () for f in files})
    else:
        copy.add_lines({f: data.lines(f) or () for f in files})
    copy.write()
    return target


def _result(cov: Any, json_file: Path, total: float) -> dict[str, Any]:
    summary = json.loads(json_file.read_text(encoding="utf-8"))
    data = cov.get_data()
    labels = {_key(f): _labels(data, f) for f in data.measured_files()}
    contexts = {key: _categories(found) for key, found in labels.items()}
    files = [
        {
            "path": path,
            "statements": int(entry["summary"]["num_statements"]),
            "missing": int(entry["summary"]["missing_lines"]),
            "percent": float(entry["summary"]["percent_covered"]),
            "categories": contexts.get(_key(path), []),
        }
        for path, entry in summary["files"].items()
    ]
    files.sort(key=lambda f: (f["percent"], -f["missing"], f["path"]))
    precision = int(cov.get_option("report:precision") or 0)
    tests = {path: _tests(labels.get(_key(path), set())) for path in summary["files"]}
    return {
        "total": float(total),
        "precision": precision,
        "files": files,
        "tests_by_file": {path: ids for path, ids in tests.items() if ids},
    }


def _labels(data: Any, path: str) -> set[str]:
    """A file's contexts: `category`, or `category|tests/x.py::test_y` where the plugin
    recorded each test's own (the project's own dynamic contexts have no `::`)."""
    return {c for lines in data.contexts_by_lineno(path).values() for c in lines}


def _categories(labels: set[str]) -> list[str]:
    return sorted({c.split("|", 1)[0] for c in labels} - {""})


def _tests(labels: set[str]) -> list[str]:
    return sorted({c.split("|", 1)[1] for c in labels if "|" in c and "::" in c})


def _key(path: str) -> str:
    return os.path.normcase(Path(path).resolve())


if __name__ == "__main__":
    _main(Path(sys.argv[1]), Path(sys.argv[2]))
