"""Real runs of shards, their merge, last-failed and failed-first on a fixture project."""

from __future__ import annotations

import json
import subprocess
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


def history_weighing(heavy: str) -> str:
    """A durations history in which the tests of one file take a minute each."""
    tests = {
        f"tests/{name}": {"d": 60.0 if name.startswith(heavy) else 0.01, "s": 0.0}
        for name in (
            "passing/test_ok.py::test_one",
            "passing/test_ok.py::test_two",
            "passing/test_ok.py::test_sees_category",
            "failing/test_mixed.py::test_fine",
            "failing/test_mixed.py::test_wrong",
            "failing/test_mixed.py::test_later",
            "slow/test_slow.py::test_quick",
        )
    }
    return json.dumps({"version": 1, "tests": tests})


def test_shards_that_see_different_histories_still_split_one_partition(mixed: Path) -> None:
    """Shards retried after a cache update, or run one after another on one machine, each
    find another working history: they still agree, and every test runs exactly once."""
    whole = netra(mixed, *SELECT, "--reports-dir", "whole")
    history = mixed / ".netra" / "durations.json"
    shards = []
    for k, heavy in ((1, "passing"), (2, "failing"), (3, "slow")):
        history.write_text(history_weighing(heavy))
        ran = netra(mixed, *SELECT, "--shard", f"{k}/3", "--reports-dir", f"shard-{k}")
        assert ran.code in (0, 1, 5), ran.out + ran.err
        assert (mixed / f"shard-{k}" / "report.json").is_file()  # an empty shard reports too
        shards.append(ids_in(mixed, f"shard-{k}"))
        assert history.read_text() == history_weighing(heavy)  # a shard records apart
        assert (mixed / f"shard-{k}" / "durations.json").is_file() or not shards[-1]
    flat = [test for shard in shards for test in shard]
    assert sorted(flat) == sorted(ids_in(mixed, "whole")) and len(flat) == len(set(flat))
    merged = netra(mixed, "report", "merge", "shard-1", "shard-2", "shard-3", "-o", "merged")
    assert merged.code == whole.code == 1
    assert "shards:" not in merged.out


def test_a_merge_missing_a_shard_or_holding_one_twice_fails(mixed: Path) -> None:
    select = ("-c", "passing", "-c", "slow", "-k", "not hangs")
    for k in (1, 2, 3):
        netra(mixed, *select, "--shard", f"{k}/3", "--reports-dir", f"s{k}")
    whole = netra(mixed, "report", "merge", "s1", "s2", "s3", "-o", "ok")
    assert whole.code == 0, whole.out
    fullest = max((1, 2, 3), key=lambda k: len(ids_in(mixed, f"s{k}")))
    given = [f"s{k}" for k in (1, 2, 3) if k != fullest]
    missing = netra(mixed, "report", "merge", *given, "-o", "missing")
    assert missing.code == 1
    assert f"shards: shard {fullest}/3 missing" in missing.out
    assert " of 4 selected tests ran in no shard given" in missing.out
    assert missing.last_line.startswith("netra-run: ") and " errors in " in missing.last_line
    twice = netra(mixed, "report", "merge", "s1", "s2", "s2", "s3", "-o", "twice")
    assert twice.code == 1
    assert "shards: shard 2/3 given 2 times" in twice.out
    junit = (mixed / "twice" / "junit.xml").read_text()
    assert 'name="shards"' in junit and "shard 2/3 given 2 times" in junit


def test_shards_balance_by_the_committed_history(mixed: Path) -> None:
    """The committed history is the snapshot all shards of a commit share."""
    history = mixed / ".netra" / "durations.json"
    history.parent.mkdir(exist_ok=True)
    history.write_text(history_weighing("failing"))
    subprocess.run(["git", "init", "-q"], cwd=mixed, check=True)
    subprocess.run(["git", "add", "-A"], cwd=mixed, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"],
        cwd=mixed,
        check=True,
    )
    select = ("-c", "passing", "-c", "failing", "--reports-dir")
    history.write_text(history_weighing("passing"))  # the working copy says otherwise
    netra(mixed, *select, "one", "--shard", "1/2")
    netra(mixed, *select, "two", "--shard", "2/2")
    shards = [ids_in(mixed, "one"), ids_in(mixed, "two")]
    # by the committed history the failing file outweighs a shard and is split; by the
    # working copy (or none) it would stay whole and the passing file split instead
    assert all(any("/failing/" in t for t in shard) for shard in shards), shards
    assert sum(any("/passing/" in t for t in shard) for shard in shards) == 1, shards


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
    huge = netra(mixed, "--all", "--shard", "1/99999999999999999999")
    assert huge.code == 2 and "at most 10000 shards" in huge.err


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
