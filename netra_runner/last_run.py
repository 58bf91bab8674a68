"""What the previous run left in its report.json: the failures --last-failed and
--failed-first start from."""

from __future__ import annotations

import json
from pathlib import Path

FAILED = ("failed", "error")


def failures_in(report: Path) -> tuple[dict[str, list[str]], set[str]]:
    """Failed test ids by category; and the categories that failed without a test to blame
    (a command suite, a crashed process), which run again whole."""
    try:
        categories = json.loads(report.read_text(encoding="utf-8"))["categories"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}, set()
    failed: dict[str, list[str]] = {}
    broken: set[str] = set()
    for category in categories:
        bad = [t["id"] for t in category.get("tests", []) if t.get("outcome") in FAILED]
        if bad:
            failed[category["name"]] = bad
        elif category.get("status") == "error":
            broken.add(category["name"])
    return failed, broken
