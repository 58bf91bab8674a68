"""What `netra-run report merge` prints and how it exits."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from rich.console import Console

from netra_runner.config import find_config
from netra_runner.cover.result import CoverageResult
from netra_runner.errors import ExitCode, NetraError, UsageError
from netra_runner.options import percent_problem
from netra_runner.reporting import coverage_view
from netra_runner.reporting.files import check_replaceable, claim_folder
from netra_runner.reporting.merge import Inputs, closing_line, write_merged


def merge(paths: list[Path], output: Path, out: Console, fail_under: float | None = None) -> int:
    problem = percent_problem("--cov-fail-under", fail_under)
    if problem:
        raise UsageError(problem)
    inputs = Inputs.find(paths)
    _check_output(output)
    data, junit = write_merged(inputs, output, functools.partial(_coverage, output, fail_under))
    kinds = [f"{len(inputs.junit)} JUnit"] if inputs.junit else []
    kinds += [f"{len(inputs.json)} JSON"] if inputs.json else []
    out.print(f"merged {' and '.join(kinds)} reports into {output}", markup=False, emoji=False)
    if data is not None:
        for problem in data["shard_problems"]:
            out.print(f"shards: {problem}", markup=False, emoji=False, soft_wrap=True, style="red")
        if data.get("coverage"):
            out.print(coverage_view.console(CoverageResult.from_data(data["coverage"])))
        out.print(closing_line(data), markup=False, emoji=False, soft_wrap=True)
        return int(data["exit_code"])
    out.print(
        "note: JUnit files alone cannot show whether every shard is here; merge the report "
        "folders (their report.json carries each shard's manifest)",
        markup=False,
        emoji=False,
        soft_wrap=True,
    )
    assert junit is not None
    failed = int(junit.failures or 0) + int(junit.errors or 0)
    out.print(f"netra-run: {int(junit.tests or 0)} tests, {failed} failed or errored (JUnit)")
    return ExitCode.TESTS_FAILED if failed else ExitCode.OK


def _check_output(output: Path) -> None:
    """The merge writes a folder of reports: never into a folder of the user's files, nor
    over a file of the user's."""
    if not output.exists() and output.suffix.lower() in {".xml", ".json", ".html"}:
        raise UsageError(
            f"--output {output}: names the folder the merged junit.xml, report.json and "
            f"report.html go in, not a file (did you mean --output {output.parent}?)"
        )
    if output.exists() and not output.is_dir():
        raise UsageError(f"--output {output}: is a file; give a folder for the merged reports")
    claim_folder(output, f"--output {output}")
    for name in ("junit.xml", "report.json", "report.html"):
        check_replaceable(output / name, f"--output {output}: {name}")


def _coverage(
    output: Path, fail_under: float | None, reports: list[tuple[Path, dict[str, Any]]]
) -> CoverageResult | None:
    """The shards' coverage combined, read against the checkout the merge runs in."""
    from netra_runner.cover.shards import merge_coverage

    try:
        root = find_config(Path.cwd()).parent
    except NetraError:
        root = Path.cwd()
    return merge_coverage(reports, output, root, fail_under)
