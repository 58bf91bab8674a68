"""Agent events fan out through Redis pub/sub: one channel per user, any server delivers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

CHANNEL_PREFIX = "agent_chat:user:"


def channel(user: str) -> str:
    return f"{CHANNEL_PREFIX}{user}"


class Bus:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def publish(self, user: str, event: dict[str, Any]) -> None:
        await self._redis.publish(channel(user), json.dumps(event))

    @asynccontextmanager
    async def subscription(self, user: str) -> AsyncIterator[Subscription]:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=False)
        try:
            await pubsub.subscribe(channel(user))
            # Wait for Redis to confirm: only then is no published event missed.
            await _confirmed(pubsub)
            yield Subscription(pubsub)
        finally:
            # aclose is untyped in older redis-py, typed in newer: a typed name calls it
            # without an ignore that one of the two would call unused.
            close: Callable[[], Awaitable[None]] = pubsub.aclose
            await close()

    async def ping(self) -> None:
        await self._redis.ping()


class Subscription:
    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        async for message in self._pubsub.listen():
            if message["type"] == "message":
                yield json.loads(message["data"])


async def _confirmed(pubsub: PubSub) -> None:
    while True:
        message = await pubsub.get_message(timeout=5.0)
        if message is None:
            raise ConnectionError("Redis did not confirm the subscription within 5 s")
        if message["type"] == "subscribe":
            return
