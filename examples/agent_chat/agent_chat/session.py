"""One websocket connection: authenticate, subscribe, then answer frames until it closes."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from agent_chat.agent import Run
from agent_chat.bus import Bus, Subscription
from agent_chat.protocol import (
    ListThreads,
    ProtocolError,
    ReadHistory,
    SendMessage,
    error_frame,
    parse_frame,
)
from agent_chat.store import Store, ThreadNotFound
from agent_chat.tokens import TokenError, verify_token

UNAUTHORIZED = 4401  # a 4xxx application close code, mirroring HTTP 401


class ChatSession:
    def __init__(self, websocket: WebSocket, user: str, store: Store, bus: Bus) -> None:
        self._ws = websocket
        self._user = user
        self._store = store
        self._bus = bus
        self._send_lock = asyncio.Lock()  # the event relay and the reply path share the socket

    async def send(self, frame: dict[str, Any]) -> None:
        async with self._send_lock:
            await self._ws.send_json(frame)

    async def serve(self, subscription: Subscription) -> None:
        relay = asyncio.create_task(self._relay(subscription))
        try:
            await self.send({"type": "ready", "user": self._user})
            while True:
                message = await self._ws.receive()
                if message["type"] == "websocket.disconnect":
                    return
                await self._answer(message.get("text", message.get("bytes")))
        finally:
            relay.cancel()
            # Collects the relay's end, whether cancelled or failed on a closed socket.
            await asyncio.gather(relay, return_exceptions=True)

    async def _relay(self, subscription: Subscription) -> None:
        async for event in subscription.events():
            await self.send(event)

    async def _answer(self, raw: str | bytes | None) -> None:
        try:
            frame = parse_frame(raw)
            if isinstance(frame, SendMessage):
                await self._run_agent(frame)
            elif isinstance(frame, ReadHistory):
                await self._history(frame)
            elif isinstance(frame, ListThreads):
                await self._threads()
        except ProtocolError as exc:
            await self.send(exc.frame())
        except ThreadNotFound as exc:
            await self.send(error_frame("thread_not_found", f"no thread {exc} for this user"))

    async def _run_agent(self, frame: SendMessage) -> None:
        thread_id = frame.thread_id or await self._store.create_thread(self._user, frame.text)
        await self._store.add_message(self._user, thread_id, "user", frame.text)
        run = Run(run_id=uuid.uuid4().hex, thread_id=str(thread_id), text=frame.text)
        for event in run.events():
            if event["type"] == "agent_completed":
                # Stored first, so a history read after the last event always includes it.
                await self._store.add_message(self._user, thread_id, "agent", run.answer())
            await self._bus.publish(self._user, event)

    async def _history(self, frame: ReadHistory) -> None:
        messages = await self._store.messages(self._user, frame.thread_id)
        await self.send(
            {
                "type": "history",
                "thread_id": str(frame.thread_id),
                "messages": [
                    {"role": m.role, "text": m.text, "at": m.created_at.isoformat()}
                    for m in messages
                ],
            }
        )

    async def _threads(self) -> None:
        threads = await self._store.threads(self._user)
        await self.send(
            {
                "type": "threads",
                "threads": [{"id": str(t.id), "title": t.title} for t in threads],
            }
        )


async def serve_socket(websocket: WebSocket, secret: str, store: Store, bus: Bus) -> None:
    await websocket.accept()
    try:
        user = verify_token(websocket.query_params.get("token"), secret)
    except TokenError as exc:
        await websocket.send_json(error_frame("unauthorized", str(exc)))
        await websocket.close(code=UNAUTHORIZED, reason="unauthorized")
        return
    session = ChatSession(websocket, user, store, bus)
    try:
        async with bus.subscription(user) as subscription:
            await session.serve(subscription)
    except WebSocketDisconnect:
        pass  # the client went away mid-send: nothing is left to tell it
