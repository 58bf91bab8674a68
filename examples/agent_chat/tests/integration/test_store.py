"""The repository against the real Postgres that netra-run started."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
from agent_chat.store import Store, ThreadNotFound, open_pool
from chatkit import service_env

T = TypeVar("T")


def with_store(work: Callable[[Store], Awaitable[T]]) -> T:
    async def run() -> T:
        async with open_pool(service_env()["DATABASE_URL"]) as pool:
            # The schema comes from the Postgres service's set-up (agent_chat.migrate).
            return await work(Store(pool))

    return asyncio.run(run())


def test_a_thread_keeps_its_messages_in_order(new_user: Callable[[], str]) -> None:
    user = new_user()

    async def work(store: Store) -> list[tuple[str, str]]:
        thread = await store.create_thread(user, "first question")
        for role, text in [("user", "q1"), ("agent", "a1"), ("user", "q2")]:
            await store.add_message(user, thread, role, text)
        return [(m.role, m.text) for m in await store.messages(user, thread)]

    assert with_store(work) == [("user", "q1"), ("agent", "a1"), ("user", "q2")]


def test_threads_are_listed_per_user_oldest_first(new_user: Callable[[], str]) -> None:
    alice, bob = new_user(), new_user()

    async def work(store: Store) -> tuple[list[str], list[str]]:
        for title in ("one", "two"):
            await store.create_thread(alice, title)
        await store.create_thread(bob, "bob's")
        return (
            [t.title for t in await store.threads(alice)],
            [t.title for t in await store.threads(bob)],
        )

    assert with_store(work) == (["one", "two"], ["bob's"])


def test_another_users_thread_does_not_exist_for_you(new_user: Callable[[], str]) -> None:
    alice, bob = new_user(), new_user()

    async def work(store: Store) -> None:
        thread = await store.create_thread(alice, "private")
        await store.add_message(alice, thread, "user", "secret")
        with pytest.raises(ThreadNotFound):
            await store.messages(bob, thread)
        with pytest.raises(ThreadNotFound):
            await store.add_message(bob, thread, "user", "intrusion")
        assert [m.text for m in await store.messages(alice, thread)] == ["secret"]

    with_store(work)


def test_an_unknown_thread_is_not_found(new_user: Callable[[], str]) -> None:
    async def work(store: Store) -> None:
        with pytest.raises(ThreadNotFound):
            await store.messages(new_user(), uuid.uuid4())

    with_store(work)


def test_schema_creation_is_safe_from_many_processes_at_once() -> None:
    async def work(store: Store) -> None:
        await asyncio.gather(*(store.create_schema() for _ in range(6)))

    with_store(work)


SAME_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")


@pytest.mark.parametrize("attempt", range(4))
def test_workers_write_the_same_primary_key_without_a_conflict(attempt: int) -> None:
    """Each worker has its own copy of the set-up database (isolate: worker): the same
    primary key, written by both workers at once, never collides."""

    async def run() -> None:
        async with (
            open_pool(service_env()["DATABASE_URL"]) as pool,
            pool.connection() as conn,
        ):
            await conn.execute(
                "INSERT INTO threads (id, owner, title) VALUES (%s, 'worker', 'same id')",
                (SAME_ID,),
            )
            await conn.commit()
            await asyncio.sleep(0.2)  # the other worker inserts the same id meanwhile
            await conn.execute("DELETE FROM threads WHERE id = %s", (SAME_ID,))

    asyncio.run(run())
