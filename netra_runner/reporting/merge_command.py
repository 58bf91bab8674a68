"""What `netra-run report merge` prints and how it exits."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from netra_runner.errors import ExitCode
from netra_runner.reporting.merge import Inputs, closing_line, write_merged


def merge(paths: list[Path], output: Path, out: Console) -> int:
    inputs = Inputs.find(paths)
    data, junit = write_merged(inputs, output)
    kinds = [f"{len(inputs.junit)} JUnit"] if inputs.junit else []
    kinds += [f"{len(inputs.json)} JSON"] if inputs.json else []
    out.print(f"merged {' and '.join(kinds)} reports into {output}", markup=False, emoji=False)
    if data is not None:
        for problem in data["shard_problems"]:
            out.print(f"shards: {problem}", markup=False, emoji=False, soft_wrap=True, style="red")
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
