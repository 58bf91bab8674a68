"""Measure the service phase on a real engine: cold parallel, cold sequential, warm reuse,
and the time from command start to the first service-free test.

Usage: python scripts/bench_services.py [--repeat N] [--profile offline] [--services local]
With --services docker (or auto with an engine): the images of the repo's categories.yaml (or
its offline profile); with --services local: Postgres and Redis binaries.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from netra_runner.config import load_project
from netra_runner.services.session import ServiceSession, open_session

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("postgres", "redis")


def quiet(_: str) -> None:
    pass


def timed_session(
    project_file: Path, profile: str | None, names: tuple[str, ...], keep: bool
) -> float:
    project = load_project(project_file, profile)
    started = time.perf_counter()
    choice = os.environ.get("NETRA_SERVICES", "auto")
    with open_session(project, set(names), keep, quiet, None, choice) as session:  # type: ignore[arg-type]
        session.start()
        _wait(session, names)
        return time.perf_counter() - started


def _wait(session: ServiceSession, names: tuple[str, ...]) -> None:
    for name in names:
        error = session.future(name).exception()
        if error is not None:
            sys.exit(f"service {name} failed: {error}")


def cold_parallel(config: Path, profile: str | None) -> float:
    return timed_session(config, profile, SERVICES, keep=False)


def cold_sequential(config: Path, profile: str | None) -> float:
    return sum(timed_session(config, profile, (name,), keep=False) for name in SERVICES)


def warm_reuse(config: Path, profile: str | None) -> float:
    timed_session(config, profile, SERVICES, keep=True)  # leaves them running
    try:
        return timed_session(config, profile, SERVICES, keep=False)
    finally:
        subprocess.run(
            [sys.executable, "-m", "netra_runner", *_profile_args(profile), "services", "down"],
            cwd=config.parent,
            capture_output=True,
            check=True,
        )


def first_free_test(config: Path, profile: str | None) -> float:
    """Seconds from launching netra-run to a service-free test running, services starting too."""
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        data = yaml.safe_load(config.read_text())
        data["categories"] = {
            "free": {"paths": ["test_free.py"]},
            "db": {"paths": ["test_db.py"], "services": list(SERVICES)},
        }
        (project / "categories.yaml").write_text(yaml.safe_dump(data))
        stamp = project / "stamp"
        write_stamp = f"open({str(stamp)!r}, 'w').write(repr(time.time()))"
        (project / "test_free.py").write_text(f"import time\ndef test_free():\n    {write_stamp}\n")
        (project / "test_db.py").write_text("def test_db():\n    pass\n")
        launched = time.time()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "netra_runner",
                *_profile_args(profile),
                "--all",
                "--real-services",
            ],
            cwd=project,
            capture_output=True,
            check=True,
        )
        return float(stamp.read_text()) - launched


def _profile_args(profile: str | None) -> list[str]:
    return ["--profile", profile] if profile else []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", default=os.environ.get("NETRA_PROFILE"))
    parser.add_argument("--services", choices=("auto", "docker", "local"), default="auto")
    args = parser.parse_args()
    os.environ["NETRA_SERVICES"] = args.services  # for this process and the runs it starts
    config = ROOT / "categories.yaml"
    measures: dict[str, Callable[[Path, str | None], float]] = {
        "service phase, cold, parallel (postgres+redis)": cold_parallel,
        "service phase, cold, sequential (postgres, then redis)": cold_sequential,
        "service phase, warm reuse of kept services": warm_reuse,
        "command start to first service-free test": first_free_test,
    }
    print(f"{'measure':<58} {'median':>8} {'min':>8}  (n={args.repeat})")
    for label, measure in measures.items():
        times = [measure(config, args.profile) for _ in range(args.repeat)]
        print(f"{label:<58} {statistics.median(times):7.2f}s {min(times):7.2f}s")


if __name__ == "__main__":
    main()
