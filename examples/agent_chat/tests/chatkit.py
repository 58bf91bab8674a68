"""Test support: a real server process on a free port, and a websocket client that speaks chat."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

DEMO_ROOT = Path(__file__).resolve().parents[1]
SERVICE_VARS = ("DATABASE_URL", "REDIS_URL")


def service_env() -> dict[str, str]:
    """The addresses netra-run exported for the live services; nothing else is assumed."""
    missing = [name for name in SERVICE_VARS if not os.environ.get(name)]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not set: run this category through netra-run with"
            " --real-services, which starts the services and exports their addresses",
            pytrace=False,
        )
    return {name: os.environ[name] for name in SERVICE_VARS}


class ServerProcess:
    """`python -m agent_chat` serving on a socket bound here, so the port never races."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port = listener.getsockname()[1]
        self.log_path = log_path
        with listener, log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "agent_chat", "--fd", str(listener.fileno())],
                pass_fds=[listener.fileno()],
                env={**os.environ, **env, "PYTHONPATH": str(DEMO_ROOT)},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"agent_chat exited {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
        self.stop()
        pytest.fail(f"agent_chat not healthy after {timeout:g}s:\n{self.log()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Chat:
    """One user's socket; every helper fails the test with what actually arrived."""

    def __init__(self, server: ServerProcess, token: str | None) -> None:
        url = server.url if token is None else f"{server.url}?token={token}"
        self._stack = ExitStack()
        self.ws: ClientConnection = self._stack.enter_context(
            connect(url, open_timeout=10, max_size=None)
        )

    def __enter__(self) -> Chat:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def send(self, frame: dict[str, Any] | str | bytes) -> None:
        self.ws.send(frame if isinstance(frame, str | bytes) else json.dumps(frame))

    def recv(self, timeout: float = 10.0) -> dict[str, Any]:
        frame: dict[str, Any] = json.loads(self.ws.recv(timeout=timeout))
        return frame

    def ready(self) -> Chat:
        frame = self.recv()
        assert frame["type"] == "ready", frame
        return self

    def ask(self, text: str, thread_id: str | None = None) -> list[dict[str, Any]]:
        self.send({"type": "message", "text": text, "thread_id": thread_id})
        return self.events_of_one_run()

    def events_of_one_run(self) -> list[dict[str, Any]]:
        events = [self.recv()]
        while events[-1]["type"] not in ("agent_completed", "error"):
            events.append(self.recv())
        assert events[-1]["type"] != "error", events
        return events

    def request(self, frame: dict[str, Any] | str | bytes) -> dict[str, Any]:
        self.send(frame)
        return self.recv()

    def silent_for(self, seconds: float) -> bool:
        try:
            frame = self.ws.recv(timeout=seconds)
        except TimeoutError:
            return True
        raise AssertionError(f"expected no frame, got {frame!r}")

    def closed_with(self) -> int | None:
        try:
            self.ws.recv(timeout=10)
        except ConnectionClosed as exc:
            return exc.rcvd.code if exc.rcvd else None
        raise AssertionError("the server kept the socket open")
