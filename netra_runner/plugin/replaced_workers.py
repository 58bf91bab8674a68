"""A worker xdist starts in place of a dead one gets the dead one's copies, made anew.

xdist gives the new worker a new id (gw2 for a dead gw1), which NETRA_WORKER_ENV has no
entry for: without this it would run on the set-up database itself. Between the node going
down (`pytest_testnodedown`) and xdist starting its replacement, the controller asks
netra-run for a fresh copy through the event stream (`worker_replacing`), waits for the
answer file (execution/copies.py writes it), and puts the dead worker's variables under
REPLACEMENT in its own environment, which the new worker process inherits.

Lives in the xdist controller, as part of the pytest plugin: standard library and pytest.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

import pytest

from netra_runner.plugin.agreement import WORKER_ENV, WorkerEvent, reply_file
from netra_runner.plugin.worker_env import REPLACEMENT, read_answer

ANSWER_TIMEOUT = 120.0  # seconds: netra-run answers in milliseconds, unless it is gone
POLL = 0.02


class ReplacedWorkers:
    def __init__(
        self,
        emit: Callable[..., None],
        events: Path,
        env: MutableMapping[str, str] = os.environ,
        timeout: float = ANSWER_TIMEOUT,
    ) -> None:
        self.emit = emit
        self.events = events
        self.env = env
        self.timeout = timeout
        self.seq = 0
        self.copy_of: dict[str, str] = {}  # worker id -> whose entry of the table it has
        self.next_copy: str | None = None  # the entry the next new worker gets

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        worker = str(node.gateway.id)
        self.copy_of.setdefault(worker, self.next_copy or worker)
        self.next_copy = None

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object | None) -> None:
        if error is None:  # it finished its work
            return
        table = _table(self.env)
        dead = str(node.gateway.id)
        owner = self.copy_of.get(dead, dead)
        if owner not in table:
            return
        self.seq += 1
        reply = reply_file(self.events, owner, self.seq)
        self.emit(WorkerEvent.WORKER_REPLACING, worker=owner, dead=dead, seq=self.seq)
        self._wait(reply)  # an error was said by netra-run; the copy is then as it was left
        reply.unlink(missing_ok=True)
        table[REPLACEMENT] = table[owner]
        self.env[WORKER_ENV] = json.dumps(table)
        self.next_copy = owner

    def _wait(self, reply: Path) -> str | None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            said = read_answer(reply)
            if said is not None:
                return said
            time.sleep(POLL)
        return None


def _table(env: MutableMapping[str, str]) -> dict[str, Any]:
    try:
        table = json.loads(env.get(WORKER_ENV) or "{}")
    except ValueError:
        return {}
    return table if isinstance(table, dict) else {}
