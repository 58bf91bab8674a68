"""Compare netra-run with plain pytest and pytest-xdist on synthetic, sleep-based suites.

Sleeps make the numbers mean something on a small machine: the work is waiting, not CPU.
Plugin autoload is off for every tool alike (xdist is loaded by name): the plugins a machine
happens to have (hypothesis costs 1.2 s per process here) would otherwise swamp what is
measured, since every xdist worker pays them again.
For W workers: plain serial pytest, `pytest -n W` (load), `pytest -n W --dist worksteal`,
netra-run cold (no history) and warm (history from the cold run). Prints wall times (median
of --repeat runs), each ratio to worksteal, and efficiency = ideal / wall with
ideal = max(longest test, total / W). For netra-run, `test phase` is ideal / (last test's
end - first test's start), from its event stream: how well the work was spread, with the
fixed start-up of the processes left out.

Usage: python scripts/bench.py [--workers 2 4] [--repeat 3] [--suites heavy modules fast tiny]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Suite:
    name: str
    modules: dict[str, list[float]] = field(default_factory=dict)  # module -> test sleeps
    fixture: float = 0.0  # a module-scoped fixture's sleep, paid once per module per worker

    @property
    def total(self) -> float:
        return sum(sum(tests) + self.fixture for tests in self.modules.values())

    @property
    def longest(self) -> float:
        return max(max(tests) + self.fixture for tests in self.modules.values())

    def write(self, root: Path) -> None:
        folder = root / self.name
        folder.mkdir()
        for module, sleeps in self.modules.items():
            lines = ["import time", "import pytest", ""]
            if self.fixture:
                lines += [
                    '@pytest.fixture(scope="module")',
                    "def shared():",
                    f"    time.sleep({self.fixture})",
                    "",
                    "",
                ]
            arg = "shared" if self.fixture else ""
            for index, sleep in enumerate(sleeps):
                lines += [f"def test_{index}({arg}):", f"    time.sleep({sleep:.4f})", "", ""]
            (folder / f"test_{module}.py").write_text("\n".join(lines))


def heavy_tailed() -> Suite:
    """Lognormal durations, with the few long tests late in collection order."""
    rng = random.Random(7)
    suite = Suite("heavy")
    short = [min(max(rng.lognormvariate(-2.2, 1.0), 0.01), 1.5) for _ in range(120)]
    for index in range(12):
        suite.modules[f"m{index}"] = short[index * 10 : index * 10 + 10]
    suite.modules["m99_late"] = [5.0, 4.0, 3.0, 2.5, 0.05, 0.05]
    return suite


def module_fixtures() -> Suite:
    return Suite("modules", {f"m{i}": [0.15] * 6 for i in range(8)}, fixture=1.0)


def many_fast() -> Suite:
    return Suite("fast", {f"m{i}": [0.01] * 50 for i in range(8)})


def tiny() -> Suite:
    return Suite("tiny", {"m0": [0.001] * 20})


SUITES = {"heavy": heavy_tailed, "modules": module_fixtures, "fast": many_fast, "tiny": tiny}


ENV = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "NO_COLOR": "1"}


def test_phase(root: Path) -> float:
    """Seconds from the first test's start to the last test's end in the last netra-run."""
    events = [
        json.loads(line) for line in (root / "reports" / "events.ndjson").read_text().splitlines()
    ]
    starts = [e["t"] for e in events if e["event"] == "test_started"]
    ends = [e["t"] for e in events if e["event"] == "test_finished"]
    return float(max(ends) - min(starts))


def timed(argv: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=ENV, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        output = done.stdout[-2000:] + done.stderr[-2000:]
        sys.exit(f"failed ({done.returncode}): {' '.join(argv)}\n{output}")
    return wall


def median(argv: list[str], cwd: Path, repeat: int, before: object = None) -> float:
    times = []
    for _ in range(repeat):
        if callable(before):
            before()
        times.append(timed(argv, cwd))
    return statistics.median(times)


Row = tuple[str, int, float, float | None]  # tool, workers, wall, netra-run's test phase


def measure(suite: Suite, root: Path, workers: list[int], repeat: int) -> list[Row]:
    pytest = [sys.executable, "-m", "pytest", suite.name, "-q", "-p", "no:cacheprovider"]
    xdist = [*pytest, "-p", "xdist.plugin"]
    netra = [sys.executable, "-m", "netra_runner", "-c", suite.name]
    netra += ["--reports-dir", str(root / "reports")]
    history = root / ".netra"

    def forget() -> None:
        shutil.rmtree(history, ignore_errors=True)

    rows: list[Row] = [("pytest (serial)", 1, median(pytest, root, repeat), None)]
    for w in workers:
        n = ["-n", str(w)]
        rows.append(("pytest -n W", w, median([*xdist, *n], root, repeat), None))
        steal = [*xdist, *n, "--dist", "worksteal"]
        rows.append(("pytest -n W --dist worksteal", w, median(steal, root, repeat), None))
        cold = median([*netra, *n], root, repeat, forget)
        rows.append(("netra-run cold", w, cold, test_phase(root)))
        timed([*netra, *n], root)  # one run to learn from
        warm = median([*netra, *n], root, repeat)
        rows.append(("netra-run warm", w, warm, test_phase(root)))
    return rows


def report(suite: Suite, rows: list[Row]) -> None:
    count = sum(len(t) for t in suite.modules.values())
    print(f"\n{suite.name}: {count} tests, total {suite.total:.2f}s, longest {suite.longest:.2f}s")
    print("| tool | W | wall (s) | vs worksteal | efficiency | test phase |")
    print("|---|---|---|---|---|---|")
    steal = {w: wall for tool, w, wall, _ in rows if tool.endswith("worksteal")}
    for tool, w, wall, phase in rows:
        ideal = max(suite.longest, suite.total / w)
        ratio = f"{wall / steal[w]:.2f}" if w in steal else "-"
        phase_eff = f"{ideal / phase:.2f}" if phase else "-"
        print(f"| {tool} | {w} | {wall:.2f} | {ratio} | {ideal / wall:.2f} | {phase_eff} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--suites", nargs="+", default=list(SUITES), choices=list(SUITES))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "pytest.ini").write_text("[pytest]\n")
        suites = [SUITES[name]() for name in args.suites]
        categories = "".join(f"  {s.name}: {{paths: [{s.name}]}}\n" for s in suites)
        (root / "categories.yaml").write_text(f"version: 1\ncategories:\n{categories}")
        for suite in suites:
            suite.write(root)
            report(suite, measure(suite, root, args.workers, args.repeat))


if __name__ == "__main__":
    main()
