"""Threads and messages in Postgres; every read is scoped to the user who asks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from psycopg.rows import class_row
from psycopg_pool import AsyncConnectionPool

# Two server processes may start at once: the lock keeps their CREATEs from racing.
SCHEMA = """
SELECT pg_advisory_xact_lock(7342001);
CREATE TABLE IF NOT EXISTS threads (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner text NOT NULL,
    title text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS threads_owner ON threads (owner, created_at);
CREATE TABLE IF NOT EXISTS messages (
    id bigserial PRIMARY KEY,
    thread_id uuid NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    role text NOT NULL CHECK (role IN ('user', 'agent')),
    text text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS messages_thread ON messages (thread_id, id);
"""


class ThreadNotFound(Exception):
    """No such thread for this user (whether it does not exist or belongs to someone else)."""


@dataclass(frozen=True)
class Thread:
    id: UUID
    title: str
    created_at: datetime


@dataclass(frozen=True)
class Message:
    role: str
    text: str
    created_at: datetime


class Store:
    def __init__(self, pool: AsyncConnectionPool) -> None:
        self._pool = pool

    async def create_schema(self) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(SCHEMA)

    async def create_thread(self, owner: str, title: str) -> UUID:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                "INSERT INTO threads (owner, title) VALUES (%s, %s) RETURNING id",
                (owner, title[:80]),
            )
            row = await cursor.fetchone()
        assert row is not None
        return UUID(str(row[0]))

    async def add_message(self, owner: str, thread_id: UUID, role: str, text: str) -> None:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(
                "INSERT INTO messages (thread_id, role, text)"
                " SELECT id, %s, %s FROM threads WHERE id = %s AND owner = %s",
                (role, text, thread_id, owner),
            )
            if cursor.rowcount != 1:
                raise ThreadNotFound(str(thread_id))

    async def threads(self, owner: str) -> list[Thread]:
        async with self._pool.connection() as conn:
            cursor = conn.cursor(row_factory=class_row(Thread))
            await cursor.execute(
                "SELECT id, title, created_at FROM threads WHERE owner = %s"
                " ORDER BY created_at, id",
                (owner,),
            )
            return await cursor.fetchall()

    async def messages(self, owner: str, thread_id: UUID) -> list[Message]:
        async with self._pool.connection() as conn:
            found = await conn.execute(
                "SELECT 1 FROM threads WHERE id = %s AND owner = %s", (thread_id, owner)
            )
            if await found.fetchone() is None:
                raise ThreadNotFound(str(thread_id))
            cursor = conn.cursor(row_factory=class_row(Message))
            await cursor.execute(
                "SELECT role, text, created_at FROM messages WHERE thread_id = %s ORDER BY id",
                (thread_id,),
            )
            return await cursor.fetchall()

    async def ping(self) -> None:
        async with self._pool.connection() as conn:
            await conn.execute("SELECT 1")


def open_pool(database_url: str) -> AsyncConnectionPool:
    return AsyncConnectionPool(database_url, min_size=1, max_size=8, open=False)
