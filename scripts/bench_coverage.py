"""What --cov costs: the same netra-run command with and without --cov, taking turns, in one
sitting; with --cov, coverage.py's core as netra-run picks it (sys.monitoring on 3.12+) and,
with --cores, forced to its C tracer (COVERAGE_CORE=ctrace) as well.

Suites: `own` (this repository's own suite, the command CI runs unless --own-args says
otherwise) and the real open-source suites of scripts/bench_real.py (attrs, networkx),
measuring their package. Each row: the median wall time of --repeat runs, the ratio to the
run without --cov, the tests run (every row must run the same tests), the exit code and the
combined total.

Usage: python scripts/bench_coverage.py [--suites own attrs] [--repeat 3] [--cores]
       [--python PATH] (the interpreter netra-run is installed in; default: this one)
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench_real import REAL

ROOT = Path(__file__).resolve().parent.parent
OWN_ARGS = "--all --real-services --profile offline"
PACKAGES = {"attrs": ("site/attr", "site/attrs"), "networkx": ("site/networkx",)}


@dataclass
class Sample:
    seconds: float
    tests: int
    code: int
    total: float | None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suites", nargs="+", default=["own"], choices=["own", *REAL])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cores", action="store_true", help="also force the C tracer")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--own-args", default=OWN_ARGS)
    args = parser.parse_args()
    version = subprocess.run(
        [args.python, "-c", "import sys; print(sys.version.split()[0])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"Python {version}, {os.cpu_count()} CPUs, median of {args.repeat}")
    with tempfile.TemporaryDirectory(prefix="netra-bench-cov-") as scratch:
        for name in args.suites:
            root, words, env = _suite(name, Path(scratch), args.own_args)
            modes: dict[str, tuple[list[str], dict[str, str]]] = {
                "no --cov": ([], {}),
                "--cov": (_cov_words(name), {}),
            }
            if args.cores:
                modes["--cov, ctrace"] = (modes["--cov"][0], {"COVERAGE_CORE": "ctrace"})
            _report(name, _measure(args.python, root, words, env, modes, args.repeat))


def _suite(name: str, scratch: Path, own_args: str) -> tuple[Path, list[str], dict[str, str]]:
    if name == "own":
        return ROOT, shlex.split(own_args), {}
    suite = REAL[name]
    folder = scratch / name
    # The plugins a machine happens to have would swamp the real suites' numbers (as in
    # bench.py); the own suite runs as CI runs it, its plugins loaded (its tests use them).
    env = suite.prepare(folder) | {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    paths = ", ".join(suite.paths)
    (folder / "categories.yaml").write_text(
        f"version: 1\ncategories:\n  tests: {{paths: [{paths}]}}\n", encoding="utf-8"
    )
    return folder, ["--all", "--workers", "2"], env


def _cov_words(name: str) -> list[str]:
    """--cov for each of the suite's packages (or alone: the project's own settings)."""
    return [f"--cov={path}" for path in PACKAGES.get(name, ())] or ["--cov"]


def _measure(
    python: str,
    root: Path,
    words: list[str],
    env: dict[str, str],
    modes: dict[str, tuple[list[str], dict[str, str]]],
    repeat: int,
) -> dict[str, list[Sample]]:
    samples: dict[str, list[Sample]] = {mode: [] for mode in modes}
    for _ in range(repeat):  # taking turns: a slow minute of the machine hits every mode
        for mode, (extra, more_env) in modes.items():
            samples[mode].append(_run(python, root, [*words, *extra], {**env, **more_env}))
    return samples


def _run(python: str, root: Path, words: list[str], env: dict[str, str]) -> Sample:
    argv = [python, "-m", "netra_runner", *words, "--plain", "-q"]
    full = {**os.environ, **env}
    if "COVERAGE_CORE" not in env:
        full.pop("COVERAGE_CORE", None)  # the core netra-run picks, unless forced here
    start = time.monotonic()
    done = subprocess.run(argv, cwd=root, env=full, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - start
    data = json.loads((root / "reports" / "report.json").read_text(encoding="utf-8"))
    tests = sum(len(c["tests"]) for c in data["categories"])
    covered = data.get("coverage") or {}
    return Sample(seconds, tests, done.returncode, covered.get("total"))


def _report(name: str, samples: dict[str, list[Sample]]) -> None:
    base = statistics.median(s.seconds for s in samples["no --cov"])
    print(f"\n{name}")
    print("| mode | wall | ratio | tests | exit | total |\n|---|---:|---:|---:|---:|---:|")
    counts = {s.tests for runs in samples.values() for s in runs}
    for mode, runs in samples.items():
        wall = statistics.median(s.seconds for s in runs)
        total = runs[-1].total
        shown = f"{total:.1f}%" if total is not None else "-"
        codes = ",".join(sorted({str(s.code) for s in runs}))
        print(
            f"| {mode} | {wall:.1f} s | {wall / base:.2f} | {runs[-1].tests} | {codes} | {shown} |"
        )
    if len(counts) > 1:
        print(f"NOT COMPARABLE: the runs ran different numbers of tests: {sorted(counts)}")


if __name__ == "__main__":
    main()
