"""Real runs of shards, their merge, last-failed and failed-first on a fixture project."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import netra

SELECT = ("-c", "passing", "-c", "failing", "-c", "erroring", "-c", "slow", "-k", "not hangs")


def ids_in(project: Path, folder: str) -> list[str]:
    data = json.loads((project / folder / "report.json").read_text())
    return [t["id"] for c in data["categories"] for t in c["tests"]]


def test_shards_run_every_test_once_and_merge_into_the_whole(mixed: Path) -> None:
    whole = netra(mixed, *SELECT, "--reports-dir", "whole")
    assert whole.code == 1
    history = mixed / ".netra" / "durations.json"
    artifact = history.read_text()  # what CI hands every shard machine
    shards = []
    for k in (1, 2, 3):
        history.write_text(artifact)
        ran = netra(mixed, *SELECT, "--shard", f"{k}/3", "--reports-dir", f"shard-{k}")
        assert ran.code in (0, 1, 5), ran.out + ran.err
        shards.append(ids_in(mixed, f"shard-{k}") if ran.code != 5 else [])
    flat = [test for shard in shards for test in shard]
    assert len(flat) == len(set(flat))
    assert sorted(flat) == sorted(ids_in(mixed, "whole"))
    assert sum(1 for shard in shards if shard) >= 2  # really spread
    merged = netra(mixed, "report", "merge", "shard-1", "shard-2", "shard-3", "-o", "merged")
    assert merged.code == 1
    assert sorted(ids_in(mixed, "merged")) == sorted(ids_in(mixed, "whole"))


def test_the_same_shard_from_the_same_history_is_the_same_tests(mixed: Path) -> None:
    history = mixed / ".netra" / "durations.json"
    for folder in ("a", "b"):
        history.unlink(missing_ok=True)  # every CI machine starts from the same artifact
        netra(mixed, *SELECT, "--shard", "2/3", "--reports-dir", folder)
    assert sorted(ids_in(mixed, "a")) == sorted(ids_in(mixed, "b"))


def test_a_bad_shard_is_a_usage_error(mixed: Path) -> None:
    ran = netra(mixed, "--all", "--shard", "4/3")
    assert ran.code == 2
    assert "--shard: expected K/N with 1 <= K <= N (like 2/4), got '4/3'" in ran.err


def test_last_failed_runs_only_what_failed(mixed: Path) -> None:
    assert netra(mixed, "-c", "failing", "-c", "passing").code == 1
    again = netra(mixed, "-c", "failing", "-c", "passing", "--last-failed")
    assert again.code == 1
    assert ids_in(mixed, "reports") == ["tests/failing/test_mixed.py::test_wrong"]
    assert again.last_line.startswith("netra-run: 0 passed, 1 failed, 0 skipped in ")


def test_last_failed_without_failures_runs_everything(mixed: Path) -> None:
    assert netra(mixed, "-c", "passing").code == 0
    again = netra(mixed, "-c", "passing", "--last-failed")
    assert again.last_line.startswith("netra-run: 3 passed, 0 failed")


def test_failed_first_runs_the_failure_before_the_rest(mixed: Path) -> None:
    assert netra(mixed, "-c", "failing").code == 1
    for workers in ("1", "2"):
        ran = netra(mixed, "-c", "failing", "--failed-first", "-n", workers, "-v")
        lines = [line for line in ran.out.splitlines() if "[failing] tests/" in line]
        assert lines[0].startswith(
            "FAILED      [failing] tests/failing/test_mixed.py::test_wrong"
        ), lines


def test_histories_from_shards_merge(mixed: Path, tmp_path: Path) -> None:
    netra(mixed, "-c", "passing")
    shard_history = tmp_path / "shard.json"
    shard_history.write_text(json.dumps({"version": 1, "tests": {"tests/x.py::t": {"d": 4.0}}}))
    ran = netra(mixed, "history", "merge", str(shard_history))
    assert ran.code == 0 and "merged 1 histories (1 tests) into .netra/durations.json" in ran.out
    merged = json.loads((mixed / ".netra" / "durations.json").read_text())["tests"]
    assert merged["tests/x.py::t"]["d"] == 4.0
    assert "tests/passing/test_ok.py::test_one" in merged
    missing = netra(mixed, "history", "merge", "nope.json")
    assert missing.code == 2 and "no such history file: nope.json" in missing.err
