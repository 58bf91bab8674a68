"""Pub/sub against the real Redis that netra-run started."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from agent_chat.bus import Bus, Subscription
from chatkit import service_env
from redis.asyncio import Redis


async def _take(subscription: Subscription, count: int) -> list[dict[str, Any]]:
    received: list[dict[str, Any]] = []
    async for event in subscription.events():
        received.append(event)
        if len(received) == count:
            break
    return received


def _run(work: Callable[[Bus], Any]) -> Any:
    async def run() -> Any:
        redis = Redis.from_url(service_env()["REDIS_URL"])
        try:
            return await asyncio.wait_for(work(Bus(redis)), timeout=20)
        finally:
            await redis.aclose()

    return asyncio.run(run())


def test_a_subscriber_receives_every_event_in_publish_order(new_user: Callable[[], str]) -> None:
    user = new_user()

    async def work(bus: Bus) -> list[dict[str, Any]]:
        async with bus.subscription(user) as subscription:
            for seq in range(200):
                await bus.publish(user, {"seq": seq})
            return await _take(subscription, 200)

    assert [event["seq"] for event in _run(work)] == list(range(200))


def test_two_subscribers_of_one_user_both_receive(new_user: Callable[[], str]) -> None:
    user = new_user()

    async def work(bus: Bus) -> list[list[dict[str, Any]]]:
        async with bus.subscription(user) as first, bus.subscription(user) as second:
            await bus.publish(user, {"n": 1})
            return list(await asyncio.gather(_take(first, 1), _take(second, 1)))

    assert _run(work) == [[{"n": 1}], [{"n": 1}]]


def test_a_user_hears_only_their_own_channel(new_user: Callable[[], str]) -> None:
    alice, bob = new_user(), new_user()

    async def work(bus: Bus) -> list[dict[str, Any]]:
        async with bus.subscription(alice) as subscription:
            await bus.publish(bob, {"for": "bob"})
            await bus.publish(alice, {"for": "alice"})
            return await _take(subscription, 1)

    assert _run(work) == [{"for": "alice"}]
