"""A run's combined coverage as values: the total, each file least covered first with the
categories that ran any of its lines, what was not measured and why, and the gate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

LEAST_COVERED = 10  # files the console and the step summary list


@dataclass(frozen=True)
class FileCoverage:
    path: str
    statements: int
    missing: int
    percent: float
    categories: tuple[str, ...]  # the contexts (one per category) that ran any of its lines


@dataclass(frozen=True)
class CoverageResult:
    total: float | None  # None: nothing was measured, or the data could not be combined
    precision: int = 0
    files: tuple[FileCoverage, ...] = ()  # least covered first
    not_measured: tuple[tuple[str, str], ...] = ()  # (category, why)
    fail_under: float | None = None
    fail_under_from: str = ""  # --cov-fail-under, categories.yaml, the coverage.py config
    error: str = ""  # why there is no total, or why it is not the whole run's
    shard: str = ""  # "2/3": one shard's part, so the gate waits for `report merge`
    # source file -> the tests that ran it (this run's per-test contexts); kept out of
    # report.json, recorded for --changed (cover/touches.py)
    tests_by_file: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def shown(self) -> str:
        return "no total" if self.total is None else f"{self.total:.{self.precision}f}%"

    @property
    def failed(self) -> bool:
        """Under the gate, or no total to hold against it."""
        if self.fail_under is None or self.shard:
            return False
        if self.total is None or self.error:
            return True
        # coverage.py's own rule: the total as shown, at its precision, against the gate.
        from coverage.results import should_fail_under

        return should_fail_under(self.total, self.fail_under, self.precision)

    def verdict(self) -> str:
        """For the closing line: the total, and the gate when it fails."""
        if self.shard and self.fail_under is not None:
            return (
                f"coverage {self.shown} in shard {self.shard} (the {self.fail_under:g}% gate "
                "applies to report merge's total)"
            )
        if not self.failed:
            return f"coverage {self.shown}"
        gate = f"{self.fail_under:g}%"
        if self.total is None:
            return f"coverage: no total ({self.error}), the gate is {gate}"
        if self.error:
            return (
                f"coverage {self.shown} is not the whole run's ({self.error}), the gate is {gate}"
            )
        return f"coverage {self.shown} is under {gate} ({self.fail_under_from})"

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> CoverageResult:
        """report.json's `coverage` (or the combining process's answer) as a result."""
        files = tuple(
            FileCoverage(
                f["path"], f["statements"], f["missing"], f["percent"], tuple(f["categories"])
            )
            for f in data.get("files", ())
        )
        return cls(
            data.get("total"),
            int(data.get("precision", 0)),
            files,
            tuple((n["category"], n["reason"]) for n in data.get("not_measured", ())),
            data.get("fail_under"),
            data.get("fail_under_from", ""),
            data.get("error", ""),
            data.get("shard", ""),
            {str(k): tuple(v) for k, v in (data.get("tests_by_file") or {}).items()},
        )

    def as_data(self) -> dict[str, Any]:
        """For report.json (and back, in `report merge`)."""
        return {
            "total": self.total,
            "precision": self.precision,
            "fail_under": self.fail_under,
            "fail_under_from": self.fail_under_from,
            "failed": self.failed,
            "error": self.error,
            "shard": self.shard,
            "not_measured": [{"category": c, "reason": r} for c, r in self.not_measured],
            "files": [
                {
                    "path": f.path,
                    "statements": f.statements,
                    "missing": f.missing,
                    "percent": f.percent,
                    "categories": list(f.categories),
                }
                for f in self.files
            ],
        }
