from __future__ import annotations

import pytest
from agent_chat.agent import EVENT_ORDER, Run, out_of_order
from agent_chat.settings import Settings, SettingsError


def _events(text: str = "count these three") -> list[dict[str, object]]:
    return list(Run(run_id="r1", thread_id="t1", text=text).events())


def test_a_run_emits_the_five_events_in_order_with_sequence_numbers() -> None:
    events = _events()
    assert [e["type"] for e in events] == list(EVENT_ORDER)
    assert [e["seq"] for e in events] == [1, 2, 3, 4, 5]
    assert {e["run_id"] for e in events} == {"r1"}
    assert out_of_order(events) == []


def test_the_last_event_carries_the_answer_and_the_tool_its_result() -> None:
    events = _events("count these three")
    assert events[3]["result"] == 3
    assert events[4]["answer"] == "Your message has 3 words."
    assert _events("one")[4]["answer"] == "Your message has 1 word."


def test_the_agent_is_deterministic() -> None:
    assert _events("same text") == _events("same text")


def test_swapped_events_are_out_of_order() -> None:
    events = _events()
    events[1], events[2] = events[2], events[1]
    assert out_of_order(events)[0].startswith("expected ['agent_started', 'agent_thinking'")


def test_a_missing_event_is_out_of_order() -> None:
    assert out_of_order(_events()[:4])


def test_events_from_two_runs_are_not_one_run() -> None:
    mixed = _events()[:2] + list(Run(run_id="r2", thread_id="t1", text="x").events())[2:]
    assert out_of_order(mixed) == ["events from 2 runs"]


def test_settings_name_every_missing_variable() -> None:
    with pytest.raises(SettingsError, match="set DATABASE_URL, AGENT_CHAT_SECRET"):
        Settings.from_env({"REDIS_URL": "redis://x"})
    assert Settings.from_env({"DATABASE_URL": "d", "REDIS_URL": "r", "AGENT_CHAT_SECRET": "s"})
