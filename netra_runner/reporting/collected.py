"""What --collect-only prints: every selected test id per category, with its services; as
text for people, or JSON for tooling (schema in docs/report-json.md)."""

from __future__ import annotations

import json
from typing import Any

from netra_runner.errors import ExitCode
from netra_runner.selection.categories import Selected
from netra_runner.selection.collect import Collected

COMMAND = "a command suite: its tests are known only when it runs"


def listing(entries: tuple[Selected, ...], found: dict[str, Collected]) -> dict[str, Any]:
    categories = []
    for entry in entries:
        collected = found.get(entry.name)
        categories.append(
            {
                "name": entry.name,
                "services": list(entry.category.services),
                "kind": "pytest" if entry.category.is_pytest else "command",
                "skip": entry.skip,
                "tests": list(collected.ids) if collected else None,
                "errors": list(collected.broken) if collected else [],
                "failure": collected.failure if collected else None,
            }
        )
    total = sum(len(c["tests"] or ()) for c in categories)
    return {"tests": total, "categories": categories}


def as_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2)


def as_text(data: dict[str, Any]) -> list[str]:
    lines = []
    for category in data["categories"]:
        services = ", ".join(category["services"]) or "none"
        if category["tests"] is None:
            lines.append(f"{category['name']}: {COMMAND} (services: {services})")
            continue
        count = len(category["tests"])
        head = f"{category['name']}: {count} test{'' if count == 1 else 's'} (services: {services})"
        if category["skip"]:
            head += f"; it would be skipped: {category['skip']}"
        lines.append(head)
        lines += [f"  {test}" for test in category["tests"]]
        lines += [f"  ERROR collecting {file}" for file in category["errors"]]
        if category["failure"]:
            lines.append(f"  ERROR {category['failure']}")
    errors = sum(len(c["errors"]) + bool(c["failure"]) for c in data["categories"])
    shown = len(data["categories"])
    closing = f"netra-run: {data['tests']} tests in {shown} categor{'y' if shown == 1 else 'ies'}"
    lines.append(closing + (f", {errors} collection errors" if errors else ""))
    return lines


def exit_code(data: dict[str, Any]) -> ExitCode:
    """As pytest --collect-only: a collection error fails, nothing collected is exit 5."""
    if any(c["errors"] or c["failure"] for c in data["categories"]):
        return ExitCode.TESTS_FAILED
    return ExitCode.OK if data["tests"] else ExitCode.NOTHING_RAN
