"""Load YAML into plain values while remembering the line of every key and item.

PyYAML's constructors drop positions, so we walk the composed node tree ourselves:
mappings become dicts, sequences tuples (frozen from the start), scalars their values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

KeyPath = tuple[str | int, ...]


def format_key(path: KeyPath) -> str:
    """Render ('categories', 'unit', 'paths', 0) as categories.unit.paths[0]."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(top level)"


@dataclass
class Source:
    """A loaded YAML document and where each key path stands in its file."""

    file: Path
    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line_of(self, path: KeyPath) -> int:
        """Line of the longest known prefix of path (1 when nothing matches)."""
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return 1

    def where(self, path: KeyPath) -> str:
        return f"{self.file}:{self.line_of(path)}: {format_key(path)}"


class YamlError(Exception):
    """A problem found while reading the file, already located."""


def load_yaml(file: Path, text: str) -> Source:
    _reject_tabs(file, text)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        source = Source(file, None)
        source.data = None if node is None else _convert(loader, node, (), source)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or exc.context or "unreadable"
        raise YamlError(f"{file}:{line}: invalid YAML: {problem}") from None
    finally:
        loader.dispose()
    return source


def _reject_tabs(file: Path, text: str) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            raise YamlError(f"{file}:{number}: a tab indents this line; YAML indents with spaces")


def _convert(loader: yaml.SafeLoader, node: yaml.Node, path: KeyPath, source: Source) -> Any:
    if isinstance(node, yaml.MappingNode):
        return _convert_mapping(loader, node, path, source)
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            source.lines[(*path, index)] = item.start_mark.line + 1
            items.append(_convert(loader, item, (*path, index), source))
        return tuple(items)
    return loader.construct_object(node, deep=True)


def _convert_mapping(
    loader: yaml.SafeLoader, node: yaml.MappingNode, path: KeyPath, source: Source
) -> dict[str, Any]:
    own_keys = {id(key) for key, _ in node.value}
    loader.flatten_mapping(node)  # resolves YAML merge keys (<<: *anchor)
    result: dict[str, Any] = {}
    written: set[str] = set()
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if not isinstance(key, str):
            raise YamlError(
                f"{source.file}:{line}: {format_key(path)}: keys must be text, got {key!r}"
            )
        if id(key_node) in own_keys and key in written:
            first = source.lines[(*path, key)]
            raise YamlError(
                f"{source.file}:{line}: {format_key((*path, key))}: duplicate key "
                f"(first defined on line {first})"
            )
        if id(key_node) in own_keys:
            written.add(key)
        source.lines[(*path, key)] = line
        result[key] = _convert(loader, value_node, (*path, key), source)
    return result


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Mappings merge key by key; anything else in `over` replaces what `base` had."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
