"""Frames a client may send, validated; and the error frames it gets back."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

MAX_FRAME_BYTES = 64 * 1024
MAX_TEXT_CHARS = 4000


class _Frame(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SendMessage(_Frame):
    type: Literal["message"]
    text: Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS)]
    thread_id: UUID | None = None  # None: start a new thread


class ReadHistory(_Frame):
    type: Literal["history"]
    thread_id: UUID


class ListThreads(_Frame):
    type: Literal["threads"]


ClientFrame = SendMessage | ReadHistory | ListThreads
_ADAPTER: TypeAdapter[ClientFrame] = TypeAdapter(
    Annotated[ClientFrame, Field(discriminator="type")]
)
KNOWN_TYPES = ("message", "history", "threads")


class ProtocolError(Exception):
    """A frame the server will not act on; becomes an error frame, never a closed socket."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail

    def frame(self) -> dict[str, str]:
        return error_frame(self.code, self.detail)


def error_frame(code: str, detail: str) -> dict[str, str]:
    return {"type": "error", "code": code, "detail": detail}


def parse_frame(raw: str | bytes | None) -> ClientFrame:
    if not isinstance(raw, str):
        raise ProtocolError("unsupported_frame", "send JSON as text frames")
    if len(raw.encode()) > MAX_FRAME_BYTES:
        raise ProtocolError("too_large", f"frames are limited to {MAX_FRAME_BYTES} bytes")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        detail = f"not valid JSON: {exc.msg} at column {exc.colno}"
        raise ProtocolError("invalid_json", detail) from None
    return _validate(data)


def _validate(data: Any) -> ClientFrame:
    if not isinstance(data, dict) or "type" not in data:
        raise ProtocolError("invalid_message", 'a frame is a JSON object with a "type"')
    if data["type"] not in KNOWN_TYPES:
        known = ", ".join(KNOWN_TYPES)
        raise ProtocolError("unknown_type", f"unknown type {data['type']!r}; known: {known}")
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise ProtocolError("invalid_message", _first_problem(exc)) from None


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"][1:]) or "frame"
    return f"{where}: {error['msg']}"
