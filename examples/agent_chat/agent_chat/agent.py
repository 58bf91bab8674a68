"""The agent: a deterministic stand-in that emits the five events of a real agent run."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

EVENT_ORDER = (
    "agent_started",
    "agent_thinking",
    "tool_executing",
    "tool_completed",
    "agent_completed",
)
TOOL = "word_count"


@dataclass(frozen=True)
class Run:
    """One agent run over one user message."""

    run_id: str
    thread_id: str
    text: str

    def answer(self) -> str:
        words = len(self.text.split())
        return f"Your message has {words} word{'s' if words != 1 else ''}."

    def events(self) -> Iterator[dict[str, Any]]:
        detail: dict[str, dict[str, Any]] = {
            "agent_started": {},
            "agent_thinking": {"thought": f"I will count the words with {TOOL}."},
            "tool_executing": {"tool": TOOL},
            "tool_completed": {"tool": TOOL, "result": len(self.text.split())},
            "agent_completed": {"answer": self.answer()},
        }
        for seq, kind in enumerate(EVENT_ORDER, start=1):
            yield {
                "type": kind,
                "run_id": self.run_id,
                "thread_id": self.thread_id,
                "seq": seq,
                **detail[kind],
            }


def out_of_order(events: list[dict[str, Any]]) -> list[str]:
    """Problems with a received event sequence; empty when it is one complete, ordered run."""
    kinds = [event.get("type") for event in events]
    if kinds != list(EVENT_ORDER):
        return [f"expected {list(EVENT_ORDER)}, got {kinds}"]
    runs = {event.get("run_id") for event in events}
    problems = [f"events from {len(runs)} runs"] if len(runs) != 1 else []
    seqs = [event.get("seq") for event in events]
    if seqs != list(range(1, len(EVENT_ORDER) + 1)):
        problems.append(f"sequence numbers {seqs}")
    return problems
