from __future__ import annotations

import json
from uuid import uuid4

import pytest
from agent_chat.protocol import (
    MAX_FRAME_BYTES,
    ListThreads,
    ProtocolError,
    ReadHistory,
    SendMessage,
    parse_frame,
)


def test_a_message_without_thread_starts_a_new_one() -> None:
    frame = parse_frame('{"type": "message", "text": "hello"}')
    assert frame == SendMessage(type="message", text="hello", thread_id=None)


def test_history_and_threads_frames_parse() -> None:
    thread = uuid4()
    assert parse_frame(json.dumps({"type": "history", "thread_id": str(thread)})) == ReadHistory(
        type="history", thread_id=thread
    )
    assert isinstance(parse_frame('{"type": "threads"}'), ListThreads)


def _code(raw: str | bytes | None) -> tuple[str, str]:
    with pytest.raises(ProtocolError) as caught:
        parse_frame(raw)
    return caught.value.code, caught.value.detail


def test_malformed_json_names_the_column() -> None:
    assert _code('{"type": "message",') == (
        "invalid_json",
        "not valid JSON: Expecting property name enclosed in double quotes at column 20",
    )


def test_an_unknown_type_lists_the_known_ones() -> None:
    assert _code('{"type": "shout"}') == (
        "unknown_type",
        "unknown type 'shout'; known: message, history, threads",
    )


@pytest.mark.parametrize("raw", ["[1, 2]", '"text"', '{"text": "no type"}'])
def test_a_frame_must_be_an_object_with_a_type(raw: str) -> None:
    assert _code(raw)[0] == "invalid_message"


@pytest.mark.parametrize(
    ("frame", "detail"),
    [
        ({"type": "message", "text": ""}, "text: String should have at least 1 character"),
        ({"type": "message"}, "text: Field required"),
        (
            {"type": "message", "text": "hi", "thread_id": "nope"},
            "thread_id: Input should be a valid UUID",
        ),
        (
            {"type": "message", "text": "hi", "colour": "red"},
            "colour: Extra inputs are not permitted",
        ),
        ({"type": "history"}, "thread_id: Field required"),
    ],
)
def test_a_bad_field_is_named(frame: dict[str, object], detail: str) -> None:
    code, message = _code(json.dumps(frame))
    assert code == "invalid_message"
    assert message.startswith(detail)


def test_an_oversized_frame_is_refused_before_parsing() -> None:
    raw = json.dumps({"type": "message", "text": "x" * MAX_FRAME_BYTES})
    assert _code(raw) == ("too_large", f"frames are limited to {MAX_FRAME_BYTES} bytes")


def test_a_binary_frame_is_refused() -> None:
    assert _code(b'{"type": "threads"}')[0] == "unsupported_frame"


def test_an_error_frame_carries_code_and_detail() -> None:
    assert ProtocolError("invalid_json", "bad").frame() == {
        "type": "error",
        "code": "invalid_json",
        "detail": "bad",
    }
