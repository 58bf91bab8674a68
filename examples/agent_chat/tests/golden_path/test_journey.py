"""The whole journey: two users, two server processes behind one Redis, one Postgres."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from agent_chat.agent import out_of_order
from chatkit import Chat, ServerProcess

QUESTIONS = ["plan my week", "move the dentist to friday", "and book a table for two"]


@pytest.fixture(scope="module")
def servers(start_server: Callable[[], ServerProcess]) -> tuple[ServerProcess, ServerProcess]:
    return start_server(), start_server()


def _conversation(
    asks_on: ServerProcess, watches_on: ServerProcess, token: str
) -> tuple[list[list[dict[str, Any]]], list[list[dict[str, Any]]]]:
    """Ask every question on one server; the user's socket on the other server hears it all."""
    with Chat(asks_on, token).ready() as asking, Chat(watches_on, token).ready() as watching:
        asked: list[list[dict[str, Any]]] = []
        for question in QUESTIONS:
            thread = asked[0][0]["thread_id"] if asked else None
            asked.append(asking.ask(question, thread))
        heard = [watching.events_of_one_run() for _ in QUESTIONS]
        assert watching.silent_for(0.3) and asking.silent_for(0.1)
    return asked, heard


def test_two_users_on_two_servers_converse_at_once_and_read_history_back(
    servers: tuple[ServerProcess, ServerProcess],
    new_user: Callable[[], str],
    token_for: Callable[[str], str],
) -> None:
    first, second = servers
    alice, bob = new_user(), new_user()
    tokens = {alice: token_for(alice), bob: token_for(bob)}
    with ThreadPoolExecutor(2) as pool:
        alice_run = pool.submit(_conversation, first, second, tokens[alice])
        bob_run = pool.submit(_conversation, second, first, tokens[bob])
        conversations = {alice: alice_run.result(), bob: bob_run.result()}

    for user, (asked, heard) in conversations.items():
        assert heard == asked, "the other server's socket saw a different stream"
        assert all(out_of_order(run) == [] for run in asked)
        thread = asked[0][0]["thread_id"]
        assert {event["thread_id"] for run in asked for event in run} == {thread}
        _history_reads_back(second if user == alice else first, tokens[user], thread)
    alice_thread = conversations[alice][0][0][0]["thread_id"]
    with Chat(first, tokens[bob]).ready() as bob_chat:
        peek = bob_chat.request({"type": "history", "thread_id": alice_thread})
    assert peek["code"] == "thread_not_found"


def _history_reads_back(server: ServerProcess, token: str, thread: str) -> None:
    with Chat(server, token).ready() as chat:
        history = chat.request({"type": "history", "thread_id": thread})
        threads = chat.request({"type": "threads"})
    words = [len(q.split()) for q in QUESTIONS]
    assert [(m["role"], m["text"]) for m in history["messages"]] == [
        pair
        for q, n in zip(QUESTIONS, words, strict=True)
        for pair in (("user", q), ("agent", f"Your message has {n} words."))
    ]
    assert [t["id"] for t in threads["threads"]] == [thread]


def test_a_server_going_away_does_not_lose_the_users_thread(
    start_server: Callable[[], ServerProcess],
    servers: tuple[ServerProcess, ServerProcess],
    new_user: Callable[[], str],
    token_for: Callable[[str], str],
) -> None:
    doomed, survivor = start_server(), servers[0]
    token = token_for(new_user())
    with Chat(doomed, token).ready() as chat:
        thread = chat.ask("remember this")[0]["thread_id"]
    doomed.stop()
    with Chat(survivor, token).ready() as chat:
        events = chat.ask("still there?", thread)
        history = chat.request({"type": "history", "thread_id": thread})
    assert out_of_order(events) == []
    assert [m["text"] for m in history["messages"]][::2] == ["remember this", "still there?"]
