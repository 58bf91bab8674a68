"""Sliced categories on real pytest processes: a category's workers are independent processes
claiming its work as they go (plugin/claims.py), cold or warm, with no xdist controller;
what they report must be what one xdist run would."""

import json
from pathlib import Path
from typing import Any

from helpers import Ran, netra

from netra_runner.events import read_events

CONFIG = "version: 1\ncategories:\n  unit: {paths: [tests], workers: 2}\n"


def project(tmp_path: Path, modules: dict[str, str], config: str = CONFIG) -> Path:
    (tmp_path / "categories.yaml").write_text(config)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "tests").mkdir()
    for name, text in modules.items():
        (tmp_path / "tests" / f"test_{name}.py").write_text(text)
    return tmp_path


def many(count: int, body: str = "pass") -> str:
    return "".join(f"def test_{i}():\n    {body}\n\n\n" for i in range(count))


def run(folder: Path, *args: str) -> Ran:
    return netra(folder, "-c", "unit", "-n", "2", *args)


def events(folder: Path) -> list[dict[str, Any]]:
    return read_events(folder / "reports" / "events.ndjson")


def workers_of(folder: Path) -> dict[str, str]:
    return {e["nodeid"]: e["worker"] for e in events(folder) if e["event"] == "test_finished"}


def test_cold_and_warm_runs_claim_the_category_so_that_every_test_runs_once(
    tmp_path: Path,
) -> None:
    folder = project(tmp_path, {f"m{i}": many(15) for i in range(4)})
    cold = run(folder)
    assert cold.code == 0, cold.out
    assert (folder / "reports" / "categories" / "unit" / "shares").is_dir()  # no history: too
    cold_ids = set(workers_of(folder))
    xdist = run(folder, "--xdist")
    assert xdist.code == 0 and set(workers_of(folder)) == cold_ids  # what xdist runs
    warm = run(folder)
    assert warm.code == 0, warm.out
    assert warm.last_line.startswith("netra-run: 60 passed, 0 failed, 0 skipped in ")
    ran = workers_of(folder)
    assert len(ran) == 60 and set(ran.values()) == {"gw0", "gw1"}
    assert set(ran) == cold_ids
    claimed = [e for e in events(folder) if e["event"] == "claimed"]
    assert sorted(t for e in claimed for t in e["tests"]) == sorted(ran)  # each test once
    log = (folder / "reports" / "categories" / "unit" / "output.log").read_text()
    assert "gw0: share 1 of 2" in log and "gw1: share 2 of 2" in log


def test_each_share_is_told_its_worker_as_xdist_would(tmp_path: Path) -> None:
    body = "import os\n\n\n" + "".join(
        f"def test_{i}():\n    assert os.environ['PYTEST_XDIST_WORKER_COUNT'] == '2'\n"
        f"    print(os.environ['PYTEST_XDIST_WORKER'])\n    assert {i} != 7\n\n\n"
        for i in range(10)
    )
    folder = project(tmp_path, {"env": body})
    run(folder)
    warm = run(folder)
    assert warm.code == 1
    assert warm.last_line.startswith("netra-run: 9 passed, 1 failed, 0 skipped in ")
    failed = next(e for e in events(folder) if e.get("outcome") == "failed")
    assert failed["worker"] in failed["output"]  # the variable names the share's worker


def test_a_crash_fails_its_test_and_only_its_share_restarts(tmp_path: Path) -> None:
    crash = "import os\n\n\n" + many(10) + "def test_dies():\n    os._exit(3)\n"
    folder = project(tmp_path, {"crash": crash, "other": many(10)})
    run(folder)
    warm = run(folder)
    assert warm.code == 1
    assert warm.last_line.startswith("netra-run: 20 passed, 1 failed, 0 skipped in ")
    assert "crashed while running this test" in warm.out
    assert (folder / "reports" / "categories" / "unit" / "shares").is_dir()


def test_processes_that_collect_different_tests_fail_the_category(tmp_path: Path) -> None:
    # Ids that differ from process to process once the file `random` exists.
    random_ids = (
        "import os\nimport pytest\n\nRANDOM = os.path.exists('random')\n\n\n"
        "@pytest.mark.parametrize('n', [os.getpid() if RANDOM else 0])\n"
        "def test_pid(n):\n    pass\n\n\n"
    )
    folder = project(tmp_path, {"ids": random_ids, "fixed": many(10)})
    assert run(folder).code == 0
    (folder / "random").touch()
    warm = run(folder)
    assert warm.code == 1, warm.out
    assert "collected different tests" in warm.out
    report = json.loads((folder / "reports" / "report.json").read_text())
    assert report["categories"][0]["status"] == "error"


def test_a_share_left_empty_by_k_still_passes(tmp_path: Path) -> None:
    folder = project(tmp_path, {"a": many(10)})
    run(folder)
    warm = run(folder, "-k", "test_3")
    assert warm.code == 0, warm.out
    assert warm.last_line.startswith("netra-run: 1 passed, 0 failed, 0 skipped in ")


def test_xdist_flag_keeps_xdist(tmp_path: Path) -> None:
    folder = project(tmp_path, {"a": many(10), "b": many(10)})
    run(folder)
    warm = run(folder, "--xdist")
    assert warm.code == 0
    assert not [e for e in events(folder) if e["event"] == "claimed"]  # xdist handed it out
    assert set(workers_of(folder).values()) == {"gw0", "gw1"}


def test_a_skipped_module_and_a_collection_error_count_once(tmp_path: Path) -> None:
    skipped = "import pytest\n\npytest.importorskip('no_such_module_here')\n"
    folder = project(tmp_path, {"a": many(10), "b": many(10), "skip": skipped})
    run(folder)
    (folder / "tests" / "test_broken.py").write_text("import no_such_module_either\n")
    warm = run(folder)
    assert (folder / "reports" / "categories" / "unit" / "shares").is_dir()
    assert warm.code == 1
    assert warm.last_line.startswith("netra-run: 20 passed, 0 failed, 1 skipped, 1 error in ")


def test_shares_answer_worker_id_and_keep_an_xdist_group_together(tmp_path: Path) -> None:
    grouped = "import pytest\n\n\n" + "".join(
        f"@pytest.mark.xdist_group(name='db')\ndef test_g{i}(worker_id):\n"
        f"    print('on', worker_id)\n    assert worker_id.startswith('gw')\n\n\n"
        for i in range(6)
    )
    folder = project(tmp_path, {"grouped": grouped, "a": many(10), "b": many(10)})
    assert run(folder).code == 0  # cold: under xdist, its worker_id
    warm = run(folder)
    assert (folder / "reports" / "categories" / "unit" / "shares").is_dir()
    assert warm.code == 0, warm.out
    ran = workers_of(folder)
    assert len({w for t, w in ran.items() if "test_grouped" in t}) == 1


def test_what_shares_print_is_masked_in_the_one_log_left(tmp_path: Path) -> None:
    config = (
        "version: 1\ncategories:\n  unit:\n    paths: [tests]\n    workers: 2\n"
        "    env: {API_TOKEN: s3cret-value-4711}\n"
    )
    body = "import os\n\n\n" + "".join(
        f"def test_{i}():\n    print(os.environ['API_TOKEN'])\n\n\n" for i in range(10)
    )
    folder = project(tmp_path, {"a": body, "b": many(10)}, config)
    run(folder)
    assert run(folder, "--", "-s").code == 0
    category = folder / "reports" / "categories" / "unit"
    assert (category / "shares").is_dir()
    assert not list((category / "shares").glob("*/output.log"))
    log = (category / "output.log").read_text()
    assert "gw1: share 2 of 2" in log and "s3cret-value-4711" not in log


def test_a_slow_test_does_not_hold_back_the_others_on_a_cold_run(tmp_path: Path) -> None:
    """No history: the plan cannot know test_slow is slow. Work is claimed as it goes, so
    the other process runs everything else while it sleeps (a cut made in advance would
    have left half of the fast tests behind it)."""
    # long enough for the other worker to start and run all 30 others, on a loaded machine
    slow = "import time\n\n\ndef test_slow():\n    time.sleep(6)\n"
    folder = project(tmp_path, {"a_slow": slow, **{f"m{i}": many(5) for i in range(6)}})
    cold = run(folder)
    assert cold.code == 0, cold.out
    ran = workers_of(folder)
    slow = "tests/test_a_slow.py::test_slow"
    started = {e["nodeid"]: e["t"] for e in events(folder) if e["event"] == "test_started"}
    after = [n for n, w in ran.items() if w == ran[slow] and started[n] > started[slow]]
    assert len(ran) == 31 and len(after) <= 3, after  # at most what it had claimed already


def test_tests_never_claimed_before_the_processes_stopped_are_not_run(tmp_path: Path) -> None:
    fail_then_many = "def test_0_fails():\n    assert False\n\n\n" + many(30)
    folder = project(tmp_path, {"a": fail_then_many})
    stopped = run(folder, "-x")
    assert stopped.code == 1, stopped.out
    report = json.loads((folder / "reports" / "report.json").read_text())
    counts = report["categories"][0]["counts"]
    assert counts["failed"] == 1
    assert counts["passed"] + counts["not run"] == 30, counts  # each test accounted for
