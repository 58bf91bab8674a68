"""What --cov measures and where the gate is, resolved once per run: the source from the
command line, else the project's coverage.py configuration, else the project root; the
threshold from --cov-fail-under, else categories.yaml's `coverage.fail_under`, else the
coverage.py configuration's `[report] fail_under`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from netra_runner.errors import UsageError

# coverage.py's own search order (coverage/config.py), each read as coverage.py reads it.
CONFIG_FILES = (
    (".coveragerc", True),
    (".coveragerc.toml", True),
    ("setup.cfg", False),
    ("tox.ini", False),
    ("pyproject.toml", False),
)


@dataclass(frozen=True)
class CoverageSettings:
    source: tuple[str, ...]  # () : the coverage.py configuration's own source
    config: Path | None  # the project's coverage.py configuration file
    fail_under: float | None
    fail_under_from: str  # where the threshold was set, for the closing line
    root: Path
    given: bool = False  # the source came from --cov SOURCE: it is every suite's

    def spec(self, data: Path, category: str, folder: Path | None = None) -> str:
        """NETRA_COVERAGE for one category's processes (plugin/coverage.py reads it). A suite
        that runs in a folder of its own with a coverage.py configuration there is measured
        as that configuration says (its source and omissions), as it is when run there."""
        config, source = self.config, list(self.source)
        own = _read(folder) if folder is not None and folder != self.root else None
        if own is not None:
            config = own[0]
            if not self.given:
                source = [] if _configured(own[1])[0] else [str(folder)]
        return json.dumps(
            {
                "data": str(data),
                "source": source,
                "context": category,
                "config": str(config) if config else "",
                # Paths relative to a suite's own folder would not be found from the root.
                "relative": folder is None or folder == self.root,
            }
        )


def resolve(
    root: Path,
    cwd: Path,
    sources: tuple[str, ...],
    fail_under: float | None,
    yaml_fail_under: float | None,
) -> CoverageSettings:
    """`sources`: the --cov values ("" alone: the default)."""
    found = _read(root)
    config = found[0] if found else None
    has_source, configured_gate = _configured(found[1]) if found else (False, None)
    chosen = tuple(_source(value, cwd) for value in sources if value)
    if not chosen and not has_source:
        chosen = (str(root),)
    for value, origin in (
        (fail_under, "--cov-fail-under"),
        (yaml_fail_under, "coverage.fail_under in categories.yaml"),
        (configured_gate, f"fail_under in {config.name if config else ''}"),
    ):
        if value is not None:
            return CoverageSettings(chosen, config, float(value), origin, root, any(sources))
    return CoverageSettings(chosen, config, None, "", root, any(sources))


def config_file(root: Path) -> Path | None:
    """The first file coverage.py would read its settings from, in the project root."""
    found = _read(root)
    return found[0] if found else None


def _read(root: Path) -> tuple[Path, Any] | None:
    """That file and coverage.py's reading of it (a CoverageConfig), read once."""
    from coverage.config import CoverageConfig
    from coverage.exceptions import ConfigError

    for name, ours in CONFIG_FILES:
        path = root / name
        if not path.is_file():
            continue
        read = CoverageConfig()
        try:
            if read.from_file(str(path), _ignore, our_file=ours):
                return path, read
        except ConfigError as exc:
            raise UsageError(f"--cov: coverage.py cannot read {path}: {exc}") from None
    return None


def _configured(read: Any) -> tuple[bool, float | None]:
    """Whether the coverage.py configuration names a source, and its threshold."""
    gate = float(read.fail_under) if read.fail_under else None  # its default 0 is no gate
    return bool(read.source or read.source_pkgs), gate


def _source(value: str, cwd: Path) -> str:
    """A path as the user typed it (from where they are), else a package name, as
    coverage.py's --source takes either."""
    path = cwd / value
    return str(path.resolve()) if path.exists() else value


def _ignore(message: str) -> None:
    """coverage.py's warnings about a file it reads: shown when the suites read it."""
