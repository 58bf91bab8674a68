"""Find, read, profile-merge and validate categories.yaml into a frozen Project."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from netra_runner.config.checks import check_references
from netra_runner.config.errors import describe
from netra_runner.config.model import Config, RunDefaults
from netra_runner.config.paths import check_paths
from netra_runner.config.yaml_source import (
    KeyPath,
    Source,
    YamlError,
    decode,
    deep_merge,
    load_yaml,
)
from netra_runner.errors import ConfigError, UsageError
from netra_runner.suggest import did_you_mean

FILENAME = "categories.yaml"
PROFILE_KEYS = ("defaults", "services", "categories", "coverage", "run")
_ADAPTER = TypeAdapter(Config)
_RUN_ADAPTER = TypeAdapter(RunDefaults)
# Shipped with netra-run; a profile of the same name in categories.yaml merges over these.
BUILTIN_PROFILES: dict[str, dict[str, Any]] = {
    "ci": {"defaults": {"retries": 1}, "run": {"plain": True}},
    "pre-push": {
        "run": {
            "changed_since": "@{upstream}",
            "failed_first": True,
            "fail_fast": True,
            "quiet": True,
            "budget": 90,
            "allow_empty": True,  # a push that touches no test is fine
            # A touched category that needs services runs with them (kept ones reused):
            # skipping it would let the push through unchecked.
            "real_services": True,
        }
    },
}


@dataclass(frozen=True)
class Project:
    file: Path
    root: Path
    profile: str | None
    config: Config
    run: RunDefaults = field(default_factory=RunDefaults)
    lines: dict[KeyPath, int] = field(default_factory=dict, compare=False)

    def where(self, path: KeyPath) -> str:
        """file:line: key, for a problem found after loading (an interpreter that fails)."""
        return Source(self.file, None, self.lines).where(path)


def find_config(start: Path, explicit: Path | None = None) -> Path:
    if explicit is not None:
        if not explicit.is_file():
            raise UsageError(f"--config {explicit}: no such file")
        return explicit.resolve()
    for folder in (start.resolve(), *start.resolve().parents):
        if (folder / FILENAME).is_file():
            return folder / FILENAME
    from netra_runner.config.compose import find_compose  # only for this hint

    composed = find_compose(start.resolve())
    hint = f" (it reads the services of {composed[0]} too)" if composed else ""
    raise UsageError(
        f"no {FILENAME} in {start} or any folder above it; pass --config PATH, or write a "
        f"starter one with 'netra-run init'{hint}"
    )


def load_project(file: Path, profile: str | None = None) -> Project:
    profile = profile or os.environ.get("NETRA_PROFILE") or None
    source = with_compose(read_source(file))
    base = validate(source, source.data)
    source = _with_builtin_profiles(source)
    _check_profiles(source)
    if profile is None:
        return Project(file=file, root=file.parent, profile=None, config=base, lines=source.lines)
    config, run = _apply_profile(source, profile)
    return Project(file, file.parent, profile, config, run, source.lines)


def _with_builtin_profiles(source: Source) -> Source:
    own = source.data.get("profiles") or {}
    if not isinstance(own, dict):
        return source  # validation reports it, with its line
    profiles = deep_merge(BUILTIN_PROFILES, own)
    return Source(source.file, {**source.data, "profiles": profiles}, source.lines)


def read_source(file: Path) -> Source:
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise ConfigError([f"{file}: cannot read: {exc.strerror or exc}"]) from None
    try:
        source = load_yaml(file, decode(file, data))
    except YamlError as exc:
        raise ConfigError([str(exc)]) from None
    if source.data is None:
        raise ConfigError([f"{file}:1: the file is empty; it needs 'version: 1' and 'categories:'"])
    if not isinstance(source.data, dict):
        raise ConfigError([f"{file}:1: expected a mapping with 'version' and 'categories'"])
    if is_compose(source.data):
        raise ConfigError(
            [
                f"{file}: this is a Docker Compose file, not a categories.yaml; netra-run "
                f"takes its services from it with `compose: {file.name}` in categories.yaml "
                "(`netra-run init` writes one)"
            ]
        )
    return source


def is_compose(data: object) -> bool:
    """A compose file given where a categories.yaml belongs (--config compose.yml)."""
    return (
        isinstance(data, dict)
        and isinstance(data.get("services"), dict)
        and "categories" not in data
        and data.get("version") != 1
    )


def with_compose(source: Source) -> Source:
    """The services of the compose files `compose:` names, under categories.yaml's own
    `services:` (what compose cannot say: exports, set-up, isolation)."""
    files = source.data.get("compose")
    if not files:
        return source
    listed = isinstance(files, list | tuple)  # the YAML reader gives sequences as tuples
    names = (files,) if isinstance(files, str) else tuple(files) if listed else ()
    if not names or not all(isinstance(n, str) and n for n in names):
        return source  # validation reports it, with its line
    root = source.file.parent
    missing = [n for n in names if not (root / n).is_file()]
    if missing:
        where = source.where(("compose",))
        raise ConfigError([f"{where}: no compose file {missing[0]!r} in {root}"])
    own = source.data.get("services") or {}
    if not isinstance(own, dict):
        return source
    # `db:` with only comments under it is the compose service as it is
    own = {name: {} if spec is None else spec for name, spec in own.items()}
    from netra_runner.config.compose import compose_services  # only where one is named

    services = deep_merge(compose_services(root, names), own)
    return Source(source.file, {**source.data, "services": services}, source.lines)


def validate(source: Source, data: dict[str, Any]) -> Config:
    try:
        config = _ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise ConfigError(describe(exc, source)) from None
    problems = check_references(config, source) or check_paths(config, source, source.file.parent)
    if problems:
        raise ConfigError(problems)
    return config


def _check_profiles(source: Source) -> None:
    """Validate every profile, active or not, so a typo in one is found early."""
    for name in source.data.get("profiles", {}):
        _apply_profile(source, name)


def _apply_profile(source: Source, name: str) -> tuple[Config, RunDefaults]:
    profiles = source.data.get("profiles", {})
    if name not in profiles:
        known = ", ".join(profiles) or "none defined"
        raise UsageError(
            f"unknown profile '{name}'{did_you_mean(name, profiles)} in {source.file} "
            f"(profiles: {known})"
        )
    overlay = profiles[name]
    where: KeyPath = ("profiles", name)
    if not isinstance(overlay, dict):
        raise ConfigError([f"{source.where(where)}: expected a mapping"])
    for key in overlay:
        if key not in PROFILE_KEYS:
            raise ConfigError(
                [
                    f"{source.where((*where, key))}: a profile may set {', '.join(PROFILE_KEYS)}"
                    f"{did_you_mean(key, PROFILE_KEYS)}"
                ]
            )
    located = _relocated(source, where)
    config_part = {k: v for k, v in overlay.items() if k != "run"}
    try:
        return validate(located, deep_merge(source.data, config_part)), _run(located, overlay)
    except ConfigError as exc:
        raise ConfigError(
            [f"{problem} (with profile '{name}')" for problem in exc.problems]
        ) from None


def _run(source: Source, overlay: dict[str, Any]) -> RunDefaults:
    try:
        return _RUN_ADAPTER.validate_python(overlay.get("run") or {})
    except ValidationError as exc:
        raise ConfigError(describe(exc, source, prefix=("run",))) from None


def _relocated(source: Source, where: KeyPath) -> Source:
    """A view of the source where keys the profile sets point at the profile's lines."""
    lines = dict(source.lines)
    for path, line in source.lines.items():
        if path[: len(where)] == where and len(path) > len(where):
            lines[path[len(where) :]] = line
    return Source(source.file, source.data, lines)
