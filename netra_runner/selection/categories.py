"""Which categories run, why, and which are skipped and why (nox's Manifest, for categories)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from netra_runner.config import Category, Config
from netra_runner.errors import NothingToRun, UsageError
from netra_runner.suggest import did_you_mean


@dataclass(frozen=True)
class Selected:
    name: str
    category: Category
    why: str
    gates: tuple[str, ...] = ()  # categories that must pass before this one starts
    targets: tuple[str, ...] = ()  # what pytest is given; the category's paths unless narrowed
    skip: str | None = None
    only: tuple[str, ...] = ()  # ids the targets' tests are filtered to, where they exist


def split_names(values: Iterable[str]) -> list[str]:
    """-c a,b -c c -> [a, b, c]."""
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


class Selection:
    def __init__(self, config: Config, entries: Sequence[Selected]) -> None:
        self.config = config
        self.entries = tuple(entries)

    @classmethod
    def choose(cls, config: Config, names: Sequence[str], everything: bool) -> Selection:
        if everything:
            return cls(config, [_entry(config, n, "--all") for n in config.categories])
        for name in names:
            if name not in config.categories:
                raise UsageError(
                    f"unknown category '{name}'{did_you_mean(name, config.categories)}; "
                    f"categories: {', '.join(config.categories)}"
                )
        unique = dict.fromkeys(names)
        return cls(config, [_entry(config, n, "--category") for n in unique])

    @property
    def names(self) -> list[str]:
        return [entry.name for entry in self.entries]

    def with_dependencies(self) -> Selection:
        """Add what the selection depends on, transitively, and order dependencies first."""
        chosen = {entry.name: entry for entry in self.entries}
        ordered: dict[str, Selected] = {}
        for entry in self.entries:
            self._add_with_dependencies(entry.name, chosen, ordered)
        return Selection(self.config, list(ordered.values()))

    def _add_with_dependencies(
        self, root: str, chosen: dict[str, Selected], out: dict[str, Selected]
    ) -> None:
        """Depth first, dependencies before dependents; iterative, so a depends_on chain a
        thousand long is as fine as a short one (the config has no cycles)."""
        stack: list[tuple[str, str | None, bool]] = [(root, None, False)]
        while stack:
            name, by, expanded = stack.pop()
            if name in out:
                continue
            category = self.config.categories[name]
            if expanded:
                entry = chosen.get(name) or _entry(self.config, name, f"needed by {by}")
                out[name] = dataclasses.replace(entry, gates=category.depends_on)
                continue
            stack.append((name, by, True))
            stack += [(dep, name, False) for dep in reversed(category.depends_on)]

    def only_tests(
        self,
        chosen: dict[str, list[str]],
        whole: set[str],
        why: str,
        whys: dict[str, str] | None = None,
        empty: bool = False,
        filtered: bool = False,
    ) -> Selection:
        """Narrow categories to these test ids, or keep those in `whole` as they are (a command
        suite cannot be narrowed). A category left with nothing is dropped: it has nothing to
        report here (another shard runs it; it passed last time)."""
        entries = []
        for entry in self.entries:
            ids = chosen.get(entry.name, [])
            reason = f"{entry.why}; {why}" + (
                f" ({whys[entry.name]})" if whys and entry.name in whys else ""
            )
            if entry.name in whole or (ids and entry.skip is not None):
                entries.append(dataclasses.replace(entry, why=reason))
            elif ids and filtered:
                # Ids that may be gone (a remembered failure): pytest is given their files
                # and keeps those of the ids it collects, as its own --lf does.
                files = tuple(dict.fromkeys(i.partition("::")[0] for i in ids))
                entries.append(
                    dataclasses.replace(entry, targets=files, only=tuple(ids), why=reason)
                )
            elif ids:
                entries.append(dataclasses.replace(entry, targets=tuple(ids), why=reason))
        kept = {entry.name for entry in entries}
        # A gate that is not run here cannot be waited for.
        entries = [
            dataclasses.replace(e, gates=tuple(g for g in e.gates if g in kept)) for e in entries
        ]
        narrowed = Selection(self.config, entries)
        return narrowed if empty else narrowed.require_some(f"nothing to run {why}")

    def explained(self, why: str) -> Selection:
        return Selection(
            self.config, [dataclasses.replace(e, why=f"{e.why}; {why}") for e in self.entries]
        )

    def without_gates(self) -> Selection:
        return Selection(self.config, [dataclasses.replace(e, gates=()) for e in self.entries])

    def skip_unrunnable(self, real_services: bool, narrowing: str | None) -> Selection:
        return Selection(
            self.config, [_skip_reason(e, real_services, narrowing) for e in self.entries]
        )

    def require_some(self, why: str = "") -> Selection:
        if not self.entries and why:
            raise NothingToRun(why)
        if not self.entries:
            raise NothingToRun(
                "nothing selected: pass --category NAME (repeatable) or --all; "
                f"categories: {', '.join(self.config.categories)}",
                allowed=False,
            )
        return self


def _entry(config: Config, name: str, why: str) -> Selected:
    category = config.categories[name]
    return Selected(name, category, why, targets=category.paths)


def _skip_reason(entry: Selected, real_services: bool, narrowing: str | None) -> Selected:
    category = entry.category
    if category.services and not real_services:
        return dataclasses.replace(
            entry, skip=f"needs {', '.join(category.services)}: pass --real-services"
        )
    if narrowing and not category.is_pytest:
        return dataclasses.replace(entry, skip=f"{narrowing} cannot narrow a command suite")
    return entry
