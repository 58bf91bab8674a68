"""Probes against real sockets and a real HTTP server on 127.0.0.1."""

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from netra_runner.services.health import HttpProbe, LogProbe, TcpProbe, wait_healthy


class Local:
    """Stands in for a container: the probes talk to real servers on this host."""

    host = "127.0.0.1"

    def __init__(self, ports: dict[int, int], log: str = "", running: bool = True) -> None:
        self.ports = ports
        self.log = log
        self.running = running

    def exec(self, argv: tuple[str, ...]) -> tuple[int, str]:
        return 0, ""

    def logs(self, tail: int | None = None) -> str:
        return self.log

    def state(self) -> tuple[bool, str]:
        return self.running, "running" if self.running else "exited with code 3"

    def engine_health(self) -> str | None:
        return None


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = 200 if self.path == "/health" else 503
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}' if status == 200 else b"down")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_port() -> Iterator[int]:
    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_http_probe_checks_status_and_body(http_port: int) -> None:
    local = Local({8080: http_port})
    assert HttpProbe(8080, "/health", 200, r'"status": "ok"').check(local) == (True, "status 200")
    assert HttpProbe(8080, "/health", 200, "nope").check(local)[0] is False
    assert HttpProbe(8080, "/other", 200, None).check(local) == (False, "status 503")


def test_tcp_probe_needs_a_listener_that_stays() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        assert TcpProbe(6379).check(Local({6379: listener.getsockname()[1]})) == (True, "listening")


def test_tcp_probe_is_not_fooled_by_a_proxy_that_closes_at_once() -> None:
    """Docker's port proxy accepts, then closes when nothing listens in the container."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()

        def accept_and_close() -> None:
            conn, _ = listener.accept()
            conn.close()

        threading.Thread(target=accept_and_close, daemon=True).start()
        ok, detail = TcpProbe(6379).check(Local({6379: listener.getsockname()[1]}))
    assert (ok, detail) == (False, "closed at once")


def test_tcp_probe_refused() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    assert TcpProbe(1).check(Local({1: port}))[0] is False


def test_wait_healthy_keeps_history_and_notices_an_exit() -> None:
    report = wait_healthy(Local({}, log="starting"), LogProbe("ready"), interval=0.01, timeout=0.05)
    assert not report.healthy and report.history and "not in the log yet" in report.history[-1]
    exited = wait_healthy(Local({}, running=False), LogProbe("ready"), interval=0.01, timeout=5)
    assert exited.exited == "exited with code 3"
    assert wait_healthy(Local({}, log="x\nready\n"), LogProbe("^ready$"), 0.01, 1).healthy


def test_wait_healthy_stops_when_asked() -> None:
    stop = threading.Event()
    stop.set()
    report = wait_healthy(Local({}), LogProbe("never"), interval=10, timeout=600, stop=stop)
    assert not report.healthy
