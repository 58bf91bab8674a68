"""Each worker's own environment: its copy of an isolated service (services/isolation.py).

netra-run hands a suite a JSON map, worker id -> variables, in NETRA_WORKER_ENV; the
plugin applies this process's entry before any conftest is imported, so tests read their
own DATABASE_URL as they always do. xdist names its workers gw0, gw1, ... in
PYTEST_XDIST_WORKER before pytest starts in them; a suite without xdist is "main".

Imported by the pytest plugin in every test process: standard library only.
"""

from __future__ import annotations

import json
import os
from collections.abc import MutableMapping

WORKER_ENV = "NETRA_WORKER_ENV"


def apply(env: MutableMapping[str, str] = os.environ) -> str | None:
    """Put this worker's variables in `env`; its id, or None when there are none."""
    try:
        table = json.loads(env.get(WORKER_ENV) or "{}")
    except ValueError:
        return None
    worker = env.get("PYTEST_XDIST_WORKER") or "main"
    own = table.get(worker) if isinstance(table, dict) else None
    if not isinstance(own, dict):
        return None
    env.update({str(k): str(v) for k, v in own.items()})
    return worker
