from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterator

import pytest
from agent_chat.tokens import issue_token
from chatkit import ServerProcess, service_env


@pytest.fixture(scope="session")
def secret() -> str:
    return secrets.token_hex(16)


@pytest.fixture
def new_user() -> Callable[[], str]:
    """Fresh user names: tests share one database and never see each other's rows."""
    return lambda: f"user-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def token_for(secret: str) -> Callable[[str], str]:
    return lambda user: issue_token(user, secret)


@pytest.fixture(scope="session")
def start_server(
    secret: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[], ServerProcess]]:
    started: list[ServerProcess] = []

    def start() -> ServerProcess:
        env = {**service_env(), "AGENT_CHAT_SECRET": secret}
        log = tmp_path_factory.mktemp("server") / "agent_chat.log"
        server = ServerProcess(env, log)
        started.append(server)
        server.wait_ready()
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def server(start_server: Callable[[], ServerProcess]) -> ServerProcess:
    return start_server()
