"""Compare netra-run with plain pytest and pytest-xdist, in one sitting, on the same tests.

Suites: synthetic sleep-based ones (heavy: lognormal durations, the long tests late in
collection order; modules: module-scoped fixtures; fast: 400 x 10 ms; tiny: 20 tests;
tiny20k: 20,000 tests that do nothing; several: heavy, modules and fast as three categories
of one run), and real open-source suites fetched from PyPI by scripts/bench_real.py
(networkx, attrs), each unpacked into a project folder every tool runs from.
Plugin autoload is off for every tool alike (xdist is loaded by name): the plugins a machine
happens to have (hypothesis costs 1.2 s per process here) would otherwise swamp what is
measured, since every xdist worker pays them again.

For W workers: serial pytest, `pytest -n W` (load), `pytest -n W --dist worksteal`,
netra-run cold (no history) and warm (history from a run before). Each row: the median wall
time of --repeat runs, the ratio to the best complete xdist mode, efficiency = ideal / wall
(ideal = max(longest test, total sleep / W) for sleep suites, serial wall / W otherwise),
the tests run and the exit code. A run that did not run every test the serial run did (an
INTERNALERROR, a crash) is INCOMPLETE, never fast. For netra-run, its wall time is cut into
phases at the events of its stream (run_started, category_started, the first collected,
the first test_started, the last test_finished, run_finished, exit), with the idle
worker-seconds between the first test's start and the last one's end. Last, the plugin's
cost per test: the same serial and `-n 2` pytest process on 20,000 tiny tests, with and
without it.

Usage: python scripts/bench.py [--workers 2 4] [--repeat 3] [--suites heavy tiny20k ...]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench_real import REAL


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
            (folder / f"test_{self.name}_{module}.py").write_text("\n".join(lines))


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


def tiny_many() -> Suite:
    return Suite("tiny20k", {f"m{i}": [0.0] * 200 for i in range(100)})


SUITES = {
    "heavy": heavy_tailed,
    "modules": module_fixtures,
    "fast": many_fast,
    "tiny": tiny,
    "tiny20k": tiny_many,
}
DEFAULT_WORKERS = {"heavy": (2, 4), "modules": (2, 4), "fast": (2, 4)}  # others: W=2
ENV = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "NO_COLOR": "1"}
COUNTED = ("passed", "failed", "errors", "skipped", "xfailed", "xpassed")
# Each ends at an event: run_started, category_started, the first collected, the first
# test_started, the last test_finished, run_finished, the process's exit.
PHASES = ("start-up", "to pytest", "collection", "to first test", "tests", "wrap-up", "exit")
_COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)\b")


@dataclass
class Project:
    """One suite as every tool runs it: a folder, its test paths, its environment."""

    name: str
    folder: Path
    paths: list[str]
    env: dict[str, str]
    known: Suite | None = None  # a synthetic suite: its ideal is known, not measured
    categories: dict[str, list[str]] = field(default_factory=dict)  # name -> paths

    def __post_init__(self) -> None:
        self.categories = self.categories or {self.name: self.paths}

    def ideal(self, workers: int, serial: float) -> float:
        if self.known is None:
            return serial / workers
        return max(self.known.longest, self.known.total / workers)


@dataclass
class Run:
    wall: float
    code: int
    counts: dict[str, int]
    phases: dict[str, float] = field(default_factory=dict)  # netra-run only
    idle: float | None = None  # worker-seconds with no test on them, netra-run only

    @property
    def tests(self) -> int:
        return sum(self.counts.values())


def pytest_counts(output: str) -> dict[str, int]:
    """From pytest's closing line; an INTERNALERROR can leave none (then nothing counted)."""
    lines = [line for line in output.splitlines() if re.search(r" in [\d.]+s\b", line)]
    if not lines:
        return {}
    found = {kind: int(n) for n, kind in _COUNT.findall(lines[-1])}
    if "error" in found:
        found["errors"] = found.pop("error")
    return found


def netra_counts(reports: Path) -> dict[str, int]:
    try:
        totals = json.loads((reports / "report.json").read_text())["totals"]
    except (OSError, ValueError, KeyError):
        return {}
    counts = {kind: int(totals.get(kind, 0)) for kind in COUNTED if kind != "errors"}
    counts["errors"] = int(totals.get("error", 0))
    counts["failed"] += int(totals.get("infrastructure", 0))
    counts["not run"] = int(totals.get("not run", 0))  # never in a complete run
    return {kind: n for kind, n in counts.items() if n}


def phases(reports: Path, launched: float, ended: float) -> tuple[dict[str, float], float | None]:
    """The wall time cut at the events that mark each stage, and the idle worker-seconds
    between the first test's start and the last test's end."""
    events = [json.loads(line) for line in (reports / "events.ndjson").read_text().splitlines()]

    def first(kind: str, last: bool = False) -> float | None:
        times = [e["t"] for e in events if e["event"] == kind]
        return (max(times) if last else min(times)) if times else None

    marks = [
        first("run_started"),
        first("category_started"),
        first("collected"),
        first("test_started"),
        first("test_finished", last=True),
        first("run_finished"),
        ended,
    ]
    cut, before = {}, launched
    for name, at in zip(PHASES, marks, strict=True):
        if at is not None:  # a phase that never came (no test ran) is left out
            cut[name], before = at - before, at
    started, finished = first("test_started"), first("test_finished", last=True)
    workers = next((e["workers"] for e in events if e["event"] == "run_started"), 1)
    busy = sum(e.get("duration", 0.0) for e in events if e["event"] == "test_finished")
    idle = workers * (finished - started) - busy if started and finished else None
    return cut, idle


def run(argv: list[str], project: Project, reports: Path | None = None) -> Run:
    launched, started = time.time(), time.perf_counter()
    done = subprocess.run(
        argv, cwd=project.folder, env={**ENV, **project.env}, capture_output=True, text=True
    )
    wall, ended = time.perf_counter() - started, time.time()
    if reports is None:
        return Run(wall, done.returncode, pytest_counts(done.stdout))
    cut, idle = phases(reports, launched, ended)
    return Run(wall, done.returncode, netra_counts(reports), cut, idle)


def median(runs: list[Run]) -> Run:
    ordered = sorted(runs, key=lambda r: r.wall)
    return ordered[len(ordered) // 2]


Row = tuple[str, int, Run]


def measure(project: Project, workers: tuple[int, ...], repeat: int) -> list[Row]:
    pytest = [sys.executable, "-m", "pytest", *project.paths, "-q", "-p", "no:cacheprovider"]
    xdist = [*pytest, "-p", "xdist.plugin"]
    reports = project.folder / "reports"
    netra = [sys.executable, "-m", "netra_runner", "--all", "--reports-dir", str(reports)]
    history = project.folder / ".netra"

    def times(argv: list[str], netra_run: bool = False, cold: bool = False) -> Run:
        runs = []
        for _ in range(repeat):
            if cold:
                shutil.rmtree(history, ignore_errors=True)
            runs.append(run(argv, project, reports if netra_run else None))
        return median(runs)

    rows: list[Row] = [("pytest (serial)", 1, times(pytest))]
    for w in workers:
        n = ["-n", str(w)]
        rows.append(("pytest -n W", w, times([*xdist, *n])))
        rows.append(("pytest -n W --dist worksteal", w, times([*xdist, *n, "--dist", "worksteal"])))
        rows.append(("netra-run cold", w, times([*netra, *n], netra_run=True, cold=True)))
        run([*netra, *n], project, reports)  # one run to learn from
        rows.append(("netra-run warm", w, times([*netra, *n], netra_run=True)))
    return rows


def report(project: Project, rows: list[Row], note: str) -> None:
    serial = rows[0][2]
    print(f"\n{project.name}: {serial.tests} tests ({note}); serial {serial.wall:.2f}s")
    print("| tool | W | wall (s) | vs best xdist | efficiency | tests | exit |")
    print("|---|---|---|---|---|---|---|")
    complete = {(tool, w): _complete(r, serial) for tool, w, r in rows}
    for tool, w, result in rows:
        xdist = [
            r.wall for t, k, r in rows if k == w and t.startswith("pytest -n") and complete[(t, k)]
        ]
        ratio = f"{result.wall / min(xdist):.2f}" if xdist and w > 1 else "-"
        eff = f"{project.ideal(w, serial.wall) / result.wall:.2f}"
        tests = str(result.tests) if complete[(tool, w)] else f"INCOMPLETE {result.counts}"
        if not complete[(tool, w)]:
            ratio = eff = "-"
        print(f"| {tool} | {w} | {result.wall:.2f} | {ratio} | {eff} | {tests} | {result.code} |")
    print("\nnetra-run's wall time by phase (s, from its event stream):")
    names = list(PHASES)
    print(f"| run | W | {' | '.join(names)} | idle worker-s in tests |")
    print(f"|---|---|{'---|' * len(names)}---|")
    for tool, w, result in rows:
        if result.phases:
            cells = " | ".join(f"{result.phases.get(n, 0):.2f}" for n in names)
            idle = f"{result.idle:.2f}" if result.idle is not None else "-"
            print(f"| {tool} | {w} | {cells} | {idle} |")


def _complete(result: Run, serial: Run) -> bool:
    """Ran every test the serial run ran, and ended as a test run ends (0 or 1)."""
    return result.code in (0, 1) and result.tests == serial.tests and "not run" not in result.counts


def overhead(root: Path, repeat: int) -> None:
    """The plugin's own cost per test: the same pytest process with and without it."""
    suite = tiny_many()
    project = synthetic(root / "overhead", suite)
    events = project.folder / "events.ndjson"
    plain = [sys.executable, "-m", "pytest", *project.paths, "-q", "-p", "no:cacheprovider"]
    plugin = [*plain, "-p", "netra_runner.plugin.main", f"--netra-events={events}"]
    count = sum(len(t) for t in suite.modules.values())
    print(f"\nper-test overhead of the netra plugin and its events ({count} tiny tests):")
    print("| mode | plain pytest (s) | with the plugin (s) | µs per test |")
    print("|---|---|---|---|")
    for mode, extra in (("serial", []), ("-n 2", ["-p", "xdist.plugin", "-n", "2"])):
        without = median([run([*plain, *extra], project) for _ in range(repeat)]).wall
        with_it = median([run([*plugin, *extra], project) for _ in range(repeat)]).wall
        micro = (with_it - without) / count * 1e6
        print(f"| {mode} | {without:.2f} | {with_it:.2f} | {micro:.0f} |")


def capacity(workers: int) -> float:
    """How many times one process's pure-Python CPU work W processes do at once: the ceiling
    of any tool's speed-up on a CPU-bound suite (2 vCPUs that share a core give less than 2)."""
    loop = [sys.executable, "-c", "sum(i * i for i in range(12_000_000))"]
    started = time.perf_counter()
    subprocess.run(loop, check=True)
    alone = time.perf_counter() - started
    started = time.perf_counter()
    procs = [subprocess.Popen(loop) for _ in range(workers)]
    for proc in procs:
        proc.wait()
    return workers * alone / (time.perf_counter() - started)


def synthetic(folder: Path, suite: Suite) -> Project:
    folder.mkdir(parents=True)
    (folder / "pytest.ini").write_text("[pytest]\n")
    suite.write(folder)
    # Sleeps make the ideal known; for tests that do nothing it is serial / W.
    known = suite if suite.total >= 1.0 else None
    return categorized(Project(suite.name, folder, [suite.name], {}, known))


def categorized(project: Project) -> Project:
    lines = [
        f"  {name}: {{paths: [{', '.join(paths)}]}}\n" for name, paths in project.categories.items()
    ]
    (project.folder / "categories.yaml").write_text("version: 1\ncategories:\n" + "".join(lines))
    return project


def several(folder: Path) -> Project:
    """Three categories in one run (heavy, modules, fast): how they share the workers."""
    parts = [heavy_tailed(), module_fixtures(), many_fast()]
    folder.mkdir(parents=True)
    (folder / "pytest.ini").write_text("[pytest]\n")
    for part in parts:
        part.write(folder)
    names = [p.name for p in parts]
    return categorized(Project("several", folder, names, {}, None, {n: [n] for n in names}))


def main() -> None:
    choices = [*SUITES, "several", *REAL]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        help="default: 2 and 4 for heavy, modules, fast; 2 for the rest",
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--suites", nargs="+", default=choices, choices=choices)
    parser.add_argument(
        "--no-overhead", action="store_true", help="skip the per-test overhead table"
    )
    args = parser.parse_args()
    for w in sorted(set(args.workers or (2,))):
        print(f"this machine: {w} CPU-bound processes run at {capacity(w):.2f}x one")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name in args.suites:
            workers = tuple(args.workers or DEFAULT_WORKERS.get(name, (2,)))
            if name == "several":
                project = several(root / name)
                note = "three categories in one run: heavy, modules, fast"
            elif name in SUITES:
                suite = SUITES[name]()
                project = synthetic(root / name, suite)
                note = f"synthetic: total {suite.total:.2f}s, longest {suite.longest:.2f}s"
            else:
                real = REAL[name]
                env = real.prepare(root / name)
                project = categorized(Project(name, root / name, list(real.paths), env))
                note = f"{real.requirement}: {real.note}"
            report(project, measure(project, workers, args.repeat), note)
        if not args.no_overhead:
            overhead(root, args.repeat)


if __name__ == "__main__":
    main()
