"""How well --changed picks the tests a change can break: mutation recall on real projects.

For each project (a public package that ships its tests, fetched from PyPI by this script,
and netra-run's own demo), in a fresh git repository of its own:
  1. make a single-line mutation of a source file (`==` to `!=`, `True` to `False`, a
     return value to None, ...) and commit it;
  2. run the whole suite: the mutation counts when some test fails (or a suite breaks);
  3. run `netra-run --changed-since HEAD~1` and check that every failing test (every broken
     suite) was among those it ran;
  4. undo the commit, and take the next mutation, until N of them counted.

It prints, per mutation, what failed and what was selected, then the recall (mutations
whose every failure was selected: the target is 1.0), the share of the suite selected
(lower is better), and the time of the --changed runs against the whole suite's.

    python scripts/bench_changed.py                 # packaging and the demo, 8 mutations each
    python scripts/bench_changed.py --project packaging --mutations 20 --seed 3
    python scripts/bench_changed.py --project demo --services local

The demo needs its services: Docker with the offline images (`netra-run images build`,
the default) or the local binaries (`--services local`).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_real import _pip, _unpack  # a script beside this one

REPO = Path(__file__).resolve().parents[1]
CACHE = Path.home() / ".cache" / "netra-bench"
CONFIRM = 200  # failing tests of a mutation checked on their own, at most
IDENTITY = ("-c", "user.name=bench", "-c", "user.email=bench@example.invalid")

# (pattern, replacement): each makes a line mean something else and stay valid Python.
OPERATORS: tuple[tuple[str, str], ...] = (
    (r" == ", " != "),
    (r" != ", " == "),
    (r"\breturn True\b", "return False"),
    (r"\breturn False\b", "return True"),
    (r" and ", " or "),
    (r" or ", " and "),
    (r"\bif not ", "if "),
    (r" < ", " >= "),
    (r" > ", " <= "),
    (r" \+ 1\b", " + 2"),
    (r"\breturn (?!None\b)(\S.*)$", "return None"),
)


@dataclass(frozen=True)
class Project:
    name: str
    folder: Path
    sources: tuple[str, ...]  # folders whose .py files are mutated, relative to `folder`
    args: tuple[str, ...]  # netra-run arguments every run of it takes


@dataclass(frozen=True)
class Mutation:
    file: str
    line: int
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.old.strip()[:50]!r} -> {self.new.strip()[:50]!r}"


@dataclass(frozen=True)
class Outcome:
    mutation: Mutation
    failing: frozenset[str]
    selected: frozenset[str]
    total: int
    full_seconds: float
    changed_seconds: float

    @property
    def caught(self) -> bool:
        return self.failing <= self.selected

    @property
    def share(self) -> float:
        tests = [s for s in self.selected if not s.startswith("category ")]
        return len(tests) / self.total if self.total else 0.0


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True)
    return done.stdout


def committed(folder: Path) -> None:
    (folder / ".gitignore").write_text("reports*/\n.netra/\n__pycache__/\n.pytest_cache/\nsite/\n")
    git(folder, "init", "-q", "-b", "main")
    git(folder, "add", "-A")
    git(folder, *IDENTITY, "commit", "-qm", "start")


def packaging(root: Path) -> Project:
    """packaging: about 27,000 tests over a dozen modules that import one another."""
    requirement = "packaging==25.0"
    target = CACHE / requirement
    found = sorted(target.glob("*.tar.gz")) if target.is_dir() else []
    if not found:
        _pip("download", "--no-deps", "--no-binary", ":all:", "--dest", str(target), requirement)
        found = sorted(target.glob("*.tar.gz"))
    folder = root / "packaging"
    with tarfile.open(found[0]) as tar:
        _unpack(tar, folder)
    _pip("install", "--no-deps", "--target", str(folder / "site"), "pretend==1.0.9")
    (folder / "categories.yaml").write_text(
        "version: 1\ncategories:\n  tests:\n    paths: [tests]\n    env: {PYTHONPATH: src:site}\n"
    )
    committed(folder)
    return Project("packaging", folder, ("src/packaging",), ())


def demo(root: Path, services: str) -> Project:
    """netra-run's demo: unit, integration, websocket and golden-path suites over Postgres
    and Redis, with a server the websocket tests start in a process of its own."""
    folder = root / "demo"
    shutil.copytree(
        REPO / "examples" / "agent_chat",
        folder / "examples" / "agent_chat",
        ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", ".mypy_cache"),
    )
    # netra-run's own config: its services, and the demo's categories (not netra-run's own).
    head, categories = (REPO / "categories.yaml").read_text().split("categories:\n", 1)
    demo_part = categories[categories.index("  # The demo") :]
    (folder / "categories.yaml").write_text(f"{head}categories:\n{demo_part}")
    committed(folder)
    args: tuple[str, ...] = ("--real-services", "--services", services)
    if services != "local":
        args += ("--profile", "offline")
    return Project("demo", folder, ("examples/agent_chat/agent_chat",), args)


def candidates(project: Project) -> list[Mutation]:
    found = []
    for source in project.sources:
        for path in sorted((project.folder / source).rglob("*.py")):
            file = path.relative_to(project.folder).as_posix()
            lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
            for number, line in enumerate(lines, 1):
                body = line.strip()
                if not body or body.startswith(("#", '"', "'", "def ", "class ", "@")):
                    continue
                for pattern, replacement in OPERATORS:
                    new = re.sub(pattern, replacement, line, count=1)
                    if new != line and _compiles(lines, number, new):
                        found.append(Mutation(file, number, line, new))
    return found


def _compiles(lines: list[str], number: int, new: str) -> bool:
    text = "".join([*lines[: number - 1], new, *lines[number:]])
    try:
        compile(text, "<mutant>", "exec")
    except SyntaxError:
        return False
    return True


def apply(project: Project, mutation: Mutation) -> None:
    path = project.folder / mutation.file
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[mutation.line - 1] = mutation.new
    path.write_text("".join(lines), encoding="utf-8")
    git(project.folder, *IDENTITY, "commit", "-qam", f"mutate {mutation}")


def netra(project: Project, reports: str, *args: str) -> tuple[dict[str, Any], float]:
    argv = [sys.executable, "-m", "netra_runner", *project.args, *args]
    argv += ["--plain", "-q", "--reports-dir", reports]
    began = time.monotonic()
    subprocess.run(argv, cwd=project.folder, capture_output=True, text=True, timeout=1800)
    seconds = time.monotonic() - began
    try:
        return json.loads((project.folder / reports / "report.json").read_text()), seconds
    except (OSError, ValueError):
        return {}, seconds


def failing(report: dict[str, Any]) -> frozenset[str]:
    """Failed tests, and suites that broke without a test to blame."""
    bad: set[str] = set()
    for category in report.get("categories", []):
        ids = {t["id"] for t in category["tests"] if t["outcome"] in ("failed", "error")}
        bad |= ids
        if category["status"] == "error" and not ids:
            bad.add(f"category {category['name']}")
    return frozenset(bad)


def confirmed(project: Project, mutation: Mutation, broken: frozenset[str]) -> frozenset[str]:
    """The failures the mutation causes: those that fail again when run on their own, and
    pass without it. A suite's own flaky or order-dependent tests are no evidence."""
    # Test ids only: a suite-level error (`tests::(suite)`) is no test to run on its own.
    tests = sorted(b for b in broken if ".py::" in b)
    sample = random.Random(0).sample(tests, min(len(tests), CONFIRM))
    if not sample:
        return broken  # a suite that broke whole: nothing to run on its own
    again = failing(netra(project, "reports-again", *sample)[0])
    git(project.folder, "checkout", "HEAD~1", "--", mutation.file)
    try:
        before = failing(netra(project, "reports-before", *sample)[0])
    finally:
        git(project.folder, "checkout", "HEAD", "--", mutation.file)
    return frozenset(again & set(sample)) - before


def ran(report: dict[str, Any]) -> tuple[frozenset[str], int]:
    """What ran (tests, and each category that ran as a whole), and how many tests."""
    seen: set[str] = set()
    count = 0
    for category in report.get("categories", []):
        if category["status"] == "skipped":
            continue
        seen.add(f"category {category['name']}")
        for test in category["tests"]:
            if test["outcome"] != "not run":
                seen.add(test["id"])
                count += 1
    return frozenset(seen), count


def measure(project: Project, count: int, seed: int, say: Callable[[str], None]) -> list[Outcome]:
    baseline, _ = netra(project, "reports-base", "--all")  # the history every run then has
    _, total = ran(baseline)
    pool = candidates(project)
    random.Random(seed).shuffle(pool)
    say(f"{project.name}: {total} tests, {len(pool)} candidate mutations")
    results: list[Outcome] = []
    for mutation in pool[: count * 6]:
        if len(results) == count:
            break
        apply(project, mutation)
        try:
            full, full_seconds = netra(project, "reports-full", "--all")
            broken = confirmed(project, mutation, failing(full))
            if not broken:
                continue  # no test notices it: it says nothing of the selection
            changed, changed_seconds = netra(
                project, "reports-changed", "--changed-since", "HEAD~1"
            )
            selected, _ = ran(changed)
            outcome = Outcome(mutation, broken, selected, total, full_seconds, changed_seconds)
            results.append(outcome)
            mark = "caught" if outcome.caught else "MISSED"
            say(
                f"  {mark:6} {mutation}  failing {len(broken)}, selected "
                f"{outcome.share:.0%} in {changed_seconds:.1f}s (all: {full_seconds:.1f}s)"
            )
            if not outcome.caught:
                say(f"         not selected: {sorted(broken - selected)[:5]}")
        finally:
            git(project.folder, "reset", "-q", "--hard", "HEAD~1")
    return results


def summary(name: str, results: list[Outcome]) -> str:
    if not results:
        return f"{name}: no mutation made a test fail"
    caught = sum(r.caught for r in results)
    share = sum(r.share for r in results) / len(results)
    changed = sum(r.changed_seconds for r in results)
    full = sum(r.full_seconds for r in results)
    return (
        f"{name}: recall {caught / len(results):.2f} ({caught} of {len(results)} mutations), "
        f"selected {share:.0%} of the suite on average, --changed {changed / len(results):.1f}s "
        f"against {full / len(results):.1f}s for everything ({changed / full:.2f}x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", choices=("packaging", "demo", "all"), default="all")
    parser.add_argument("--mutations", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--services", choices=("docker", "local"), default="docker")
    given = parser.parse_args()
    lines = []
    with tempfile.TemporaryDirectory(prefix="netra-bench-changed-") as scratch:
        root = Path(scratch)
        makers: list[Callable[[], Project]] = []
        if given.project in ("packaging", "all"):
            makers.append(lambda: packaging(root))
        if given.project in ("demo", "all"):
            makers.append(lambda: demo(root, given.services))
        for make in makers:
            project = make()
            results = measure(project, given.mutations, given.seed, print)
            lines.append(summary(project.name, results))
    print()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
