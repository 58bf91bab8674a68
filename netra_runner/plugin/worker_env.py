"""Each worker's own environment: its copy of an isolated service (services/isolation.py).

netra-run hands a suite a JSON map, worker id -> variables, in NETRA_WORKER_ENV; the
plugin applies this process's entry before any conftest is imported, so tests read their
own DATABASE_URL as they always do. xdist names its workers gw0, gw1, ... in
PYTEST_XDIST_WORKER before pytest starts in them; a suite without xdist is "main".
A suite may start while its services' set-up runs and its copies are made
(NETRA_WORKER_GATE: the answer file to wait for, and whether xdist's workers or the one
process wait): its test processes wait before any conftest is imported, so their start-up
is not on the run's critical path. A worker xdist starts in place of a dead one gets a new
id, and the entry the controller put under REPLACEMENT just before (plugin/replaced_workers.py):
the dead one's copy, made anew.

Imported by the pytest plugin in every test process: standard library only.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections.abc import MutableMapping
from pathlib import Path

from netra_runner.plugin.agreement import ASKED, GATE, GATE_FILE, HEALTH, WORKER_ENV

REPLACEMENT = "replacement"  # not an id xdist gives (gw0, gw1, ...)
HEALTH_WAIT = 5.0  # seconds a retry waits for a verdict on the services after its failure
GATE_TIMEOUT = 1800.0  # seconds: the longest set-up netra-run allows
POLL = 0.01
STOP_WAIT = 30.0  # seconds a worker waits to be stopped after netra-run said it cannot run


def apply(env: MutableMapping[str, str] = os.environ) -> str | None:
    """Put this worker's variables in `env`; its id, or None when there are none."""
    try:
        table = json.loads(env.get(WORKER_ENV) or "{}")
    except ValueError:
        return None
    worker = env.get("PYTEST_XDIST_WORKER") or "main"
    own = table.get(worker, table.get(REPLACEMENT)) if isinstance(table, dict) else None
    if not isinstance(own, dict):
        return None
    env.update({str(k): str(v) for k, v in own.items()})
    return worker


def answer(path: Path, error: str | None) -> None:
    """netra-run's answer: written whole, so the controller never reads half of one."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps({"error": error}), encoding="utf-8")
    partial.replace(path)


def read_answer(path: Path) -> str | None:
    """The error netra-run answered with ("" for none); None while there is no answer."""
    try:
        said = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return str(said.get("error") or "") if isinstance(said, dict) else ""


def wait_gate(env: MutableMapping[str, str] = os.environ) -> str | None:
    """Wait, in a process that runs tests, for netra-run to open the gate: the error it
    answered with, or None (also when there is no gate here)."""
    try:
        gate = json.loads(env.get(GATE) or "{}")
    except ValueError:
        return None
    if not isinstance(gate, dict) or "path" not in gate:
        return None
    in_worker = bool(env.get("PYTEST_XDIST_WORKER"))
    if in_worker != (gate.get("who") == "xdist"):
        return None  # the xdist controller runs no test: it goes on starting the workers
    path = Path(env.get(GATE_FILE) or str(gate["path"]))
    deadline = time.monotonic() + GATE_TIMEOUT
    while time.monotonic() < deadline:
        said = read_answer(path)
        if said is not None:
            return said or None
        time.sleep(POLL)
    return f"netra-run did not say within {GATE_TIMEOUT:.0f}s that this suite's services are ready"


def services_up_since(moment: float, env: MutableMapping[str, str] = os.environ) -> bool:
    """Whether a check of netra-run's after `moment` (epoch seconds) found every service of
    this suite up: False when one is down, True when none answers in HEALTH_WAIT (nothing
    watches them). Waits for that check: a retry before it would be spent on an outage."""
    try:
        files = json.loads(env.get(HEALTH) or "[]")
    except ValueError:
        return True
    pending = [Path(str(f)) for f in files] if isinstance(files, list) else []
    if pending:  # the folder may be gone (a test deleted it): the periodic probe answers
        with contextlib.suppress(OSError):
            (pending[0].parent / ASKED).touch()
    deadline = time.monotonic() + HEALTH_WAIT
    while pending and time.monotonic() < deadline:
        for path in list(pending):
            said = _verdict(path)
            if "down" in said:
                return False
            up_at = said.get("up_at", 0)
            if isinstance(up_at, (int, float)) and up_at > moment:
                pending.remove(path)
        if pending:
            time.sleep(POLL)
    return True


def _verdict(path: Path) -> dict[str, object]:
    try:
        said = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return said if isinstance(said, dict) else {}


def services_state(env: MutableMapping[str, str] = os.environ) -> str:
    """One line per service of this suite, as netra-run's last check found it."""
    try:
        files = json.loads(env.get(HEALTH) or "[]")
    except ValueError:
        return ""
    lines = []
    for path in (Path(str(f)) for f in files) if isinstance(files, list) else ():
        said = _verdict(path)
        up_at = said.get("up_at")
        if "down" in said:
            lines.append(f"  {path.name}: DOWN ({said['down']})")
        elif isinstance(up_at, (int, float)):
            lines.append(f"  {path.name}: up at its last check, {time.time() - up_at:.1f}s ago")
        else:
            lines.append(f"  {path.name}: not checked yet")
    return "\n".join(lines)


WORKER = "{worker}"
NAME_CHARACTERS = re.compile(r"[^a-z0-9_]")  # what a worker's name may hold


def worker_ids(workers: int) -> list[str]:
    """xdist's worker ids; without xdist the one process is 'main'."""
    return [f"gw{n}" for n in range(workers)] if workers > 1 else ["main"]


def worker_name(category: str, worker: str) -> str:
    """What `{worker}` stands for: unique to the category and the worker, usable as a name."""
    return NAME_CHARACTERS.sub("_", f"{category}_{worker}")


def with_worker_env(
    env: dict[str, str], own: dict[str, str], category: str, workers: int
) -> dict[str, str]:
    """`{worker}` in a category's own env (`own`), rendered for each worker into its entry
    of NETRA_WORKER_ENV in `env` (a key prefix, a schema, a bucket of its own). A service's
    export of the same name wins, as it does over the category's env everywhere."""
    templated = {k: v for k, v in own.items() if WORKER in v and env.get(k, v) == v}
    if not templated:
        return env
    table: dict[str, dict[str, str]] = json.loads(env.get(WORKER_ENV) or "{}")
    for worker in worker_ids(workers):
        name = worker_name(category, worker)
        rendered = {k: v.replace(WORKER, name) for k, v in templated.items()}
        table[worker] = {**rendered, **table.get(worker, {})}
    return {**env, WORKER_ENV: json.dumps(table)}
