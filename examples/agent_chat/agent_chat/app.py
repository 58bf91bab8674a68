"""The ASGI application: a health endpoint and the chat websocket."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from agent_chat.bus import Bus
from agent_chat.session import serve_socket
from agent_chat.settings import Settings
from agent_chat.store import Store, open_pool


def create_app(settings: Settings) -> Starlette:
    pool = open_pool(settings.database_url)
    redis = Redis.from_url(settings.redis_url)
    store, bus = Store(pool), Bus(redis)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await pool.open(wait=True, timeout=30)
        try:  # the schema is made before the first start: python -m agent_chat.migrate
            yield
        finally:
            await redis.aclose()
            await pool.close()

    async def health(request: Request) -> JSONResponse:
        await store.ping()
        await bus.ping()
        return JSONResponse({"status": "ok"})

    async def chat(websocket: WebSocket) -> None:
        await serve_socket(websocket, settings.secret, store, bus)

    routes = [Route("/health", health), WebSocketRoute("/ws", chat)]
    return Starlette(routes=routes, lifespan=lifespan)
