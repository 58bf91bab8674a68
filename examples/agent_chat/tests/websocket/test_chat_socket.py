"""Real websocket clients against a real server process, real Postgres and real Redis."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from agent_chat.agent import EVENT_ORDER, out_of_order
from agent_chat.protocol import MAX_FRAME_BYTES
from agent_chat.session import UNAUTHORIZED
from agent_chat.tokens import issue_token
from chatkit import Chat, ServerProcess

User = Callable[[], str]
Token = Callable[[str], str]


def test_a_message_yields_the_five_agent_events_in_order(
    server: ServerProcess, new_user: User, token_for: Token
) -> None:
    with Chat(server, token_for(new_user())).ready() as chat:
        events = chat.ask("what is in my inbox")
    assert out_of_order(events) == []
    assert events[-1]["answer"] == "Your message has 5 words."


def test_a_conversation_continues_in_its_thread_and_is_stored(
    server: ServerProcess, new_user: User, token_for: Token
) -> None:
    with Chat(server, token_for(new_user())).ready() as chat:
        thread = chat.ask("first question")[0]["thread_id"]
        assert chat.ask("second one here", thread)[0]["thread_id"] == thread
        history = chat.request({"type": "history", "thread_id": thread})
        listing = chat.request({"type": "threads"})
    assert [(m["role"], m["text"]) for m in history["messages"]] == [
        ("user", "first question"),
        ("agent", "Your message has 2 words."),
        ("user", "second one here"),
        ("agent", "Your message has 3 words."),
    ]
    assert listing["threads"] == [{"id": thread, "title": "first question"}]


def test_after_a_reconnect_the_thread_history_and_events_carry_on(
    server: ServerProcess, new_user: User, token_for: Token
) -> None:
    token = token_for(new_user())
    with Chat(server, token).ready() as chat:
        thread = chat.ask("before the drop")[0]["thread_id"]
    with Chat(server, token).ready() as chat:
        history = chat.request({"type": "history", "thread_id": thread})
        events = chat.ask("after the drop", thread)
    assert [m["text"] for m in history["messages"]] == [
        "before the drop",
        "Your message has 3 words.",
    ]
    assert out_of_order(events) == [] and events[0]["thread_id"] == thread


def test_every_socket_of_a_user_receives_the_events(
    server: ServerProcess, new_user: User, token_for: Token
) -> None:
    token = token_for(new_user())
    with Chat(server, token).ready() as phone, Chat(server, token).ready() as laptop:
        sent = phone.ask("sync my devices")
        seen = laptop.events_of_one_run()
    assert seen == sent


BAD_FRAMES: list[tuple[str, str | bytes, str]] = [
    ("malformed-json", '{"type": "message", "text": ', "invalid_json"),
    ("unknown-type", '{"type": "shout", "text": "hi"}', "unknown_type"),
    ("not-an-object", "[1, 2, 3]", "invalid_message"),
    ("empty-text", '{"type": "message", "text": ""}', "invalid_message"),
    ("bad-thread-id", '{"type": "history", "thread_id": "42"}', "invalid_message"),
    ("binary", b"\x00\x01", "unsupported_frame"),
    (
        "oversized",
        json.dumps({"type": "message", "text": "x" * (MAX_FRAME_BYTES + 1)}),
        "too_large",
    ),
]


@pytest.mark.parametrize(
    ("frame", "code"), [b[1:] for b in BAD_FRAMES], ids=[b[0] for b in BAD_FRAMES]
)
def test_bad_input_gets_an_error_frame_and_the_socket_stays_usable(
    server: ServerProcess, new_user: User, token_for: Token, frame: str | bytes, code: str
) -> None:
    with Chat(server, token_for(new_user())).ready() as chat:
        error = chat.request(frame)
        assert (error["type"], error["code"]) == ("error", code)
        assert error["detail"]
        assert out_of_order(chat.ask("still here")) == []


def test_another_users_thread_reads_as_not_found(
    server: ServerProcess, new_user: User, token_for: Token
) -> None:
    with Chat(server, token_for(new_user())).ready() as alice:
        thread = alice.ask("my secret plan")[0]["thread_id"]
    with Chat(server, token_for(new_user())).ready() as mallory:
        read = mallory.request({"type": "history", "thread_id": thread})
        write = mallory.request({"type": "message", "text": "hijack", "thread_id": thread})
    assert (read["code"], write["code"]) == ("thread_not_found", "thread_not_found")


@pytest.mark.parametrize(
    ("token", "detail"),
    [
        (None, "missing token: connect with ?token=<token>"),
        (issue_token("alice", "not-the-server-secret"), "invalid token signature"),
        ("forged.token.value", "invalid token signature"),
    ],
    ids=["missing", "wrong-secret", "garbage"],
)
def test_an_unauthenticated_socket_gets_an_error_frame_then_close_4401(
    server: ServerProcess, token: str | None, detail: str
) -> None:
    with Chat(server, token) as chat:
        assert chat.recv() == {"type": "error", "code": "unauthorized", "detail": detail}
        assert chat.closed_with() == UNAUTHORIZED


def test_user_isolation_with_concurrent_users(
    server: ServerProcess, new_user: User, token_for: Token
) -> None:
    users = [new_user() for _ in range(6)]

    def converse(user: str) -> tuple[list[dict[str, Any]], bool]:
        with Chat(server, token_for(user)).ready() as chat:
            runs = [chat.ask(f"{user} says hello number {n}") for n in range(3)]
            return [event for run in runs for event in run], chat.silent_for(0.3)

    with ThreadPoolExecutor(len(users)) as pool:
        results = dict(zip(users, pool.map(converse, users), strict=True))
    for user, (events, quiet_after) in results.items():
        assert len(events) == 3 * len(EVENT_ORDER)
        answers = [e["answer"] for e in events if e["type"] == "agent_completed"]
        assert answers == ["Your message has 5 words."] * 3
        threads = {e["thread_id"] for e in events}
        assert all(
            threads.isdisjoint({e["thread_id"] for e in other[0]})
            for peer, other in results.items()
            if peer != user
        )
        assert quiet_after


def test_bad_input_never_puts_a_traceback_in_the_server_log(
    start_server: Callable[[], ServerProcess], new_user: User, token_for: Token
) -> None:
    fresh = start_server()
    with Chat(fresh, token_for(new_user())).ready() as chat:
        for _, frame, code in BAD_FRAMES:
            assert chat.request(frame)["code"] == code
    with Chat(fresh, "forged") as chat:
        assert chat.recv()["code"] == "unauthorized"
        assert chat.closed_with() == UNAUTHORIZED
    with Chat(fresh, token_for(new_user())).ready() as chat:
        chat.send('{"type": "message", "text": "gone before the answer"}')
    with Chat(fresh, token_for(new_user())).ready() as chat:
        assert out_of_order(chat.ask("alive")) == []
    assert "Traceback" not in fresh.log(), fresh.log()
