"""Load YAML into plain values while remembering the line of every key and item.

PyYAML's constructors drop positions, so we walk the composed node tree ourselves:
mappings become dicts, sequences tuples (frozen from the start), scalars their values.

A config is hostile input too: aliases can expand a few hundred bytes into billions of
values, refer to themselves, or nest deeper than Python recurses. The walk is bounded
(MAX_DEPTH, MAX_VALUES) and every refusal names its line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

KeyPath = tuple[str | int, ...]
MAX_DEPTH = 40  # nested mappings and lists; categories.yaml needs about 6
MAX_VALUES = 100_000  # values after alias expansion; a large real config has a few thousand
MAX_BYTES = 4 * 2**20
_MERGE = "tag:yaml.org,2002:merge"
# What YAML 1.1 (and so PyYAML) refuses to read, found first so the message names a line.
_UNREADABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


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


def decode(file: Path, data: bytes) -> str:
    """The file's text; bytes that are not UTF-8 are named by line and column."""
    if len(data) > MAX_BYTES:
        raise YamlError(
            f"{file}:1: the file is {len(data)} bytes; a config over "
            f"{MAX_BYTES // 2**20} MiB is refused"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlError(
            f"{file}:{line}: not UTF-8 text: byte 0x{data[exc.start]:02x} at column {column}"
        ) from None


def load_yaml(file: Path, text: str) -> Source:
    _reject_unreadable(file, text)
    _reject_tabs(file, text)
    try:
        _check_nesting(file, text)
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            source = Source(file, None)
            source.data = None if node is None else _Walk(loader, source).value(node, (), 0)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problem = exc.problem or exc.context or "unreadable"
        began = exc.context_mark.line + 1 if exc.context_mark else None
        if began is not None and began != line and exc.context:
            # pyyaml finds a mistake where the block could not go on: an indentation slip or
            # an unclosed quote is usually where the block began
            problem += f" ({exc.context} that began at line {began})"
        raise YamlError(f"{file}:{line}: invalid YAML: {problem}") from None
    return source


def _reject_unreadable(file: Path, text: str) -> None:
    found = _UNREADABLE.search(text)
    if found:
        line = text.count("\n", 0, found.start()) + 1
        raise YamlError(
            f"{file}:{line}: a control character ({found[0]!a}) YAML cannot hold; "
            "write it as an escape in a double-quoted string, or remove it"
        )


def _reject_tabs(file: Path, text: str) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            raise YamlError(f"{file}:{number}: a tab indents this line; YAML indents with spaces")


def _check_nesting(file: Path, text: str) -> None:
    """PyYAML composes recursively: nesting past Python's limit would crash it, so the
    (iterative) parser's events are counted first."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line = event.start_mark.line + 1 if event.start_mark else 1
                raise YamlError(
                    f"{file}:{line}: nested over {MAX_DEPTH} levels deep; a config needs far fewer"
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


_SURROGATE = re.compile("[\ud800-\udfff]")  # half of a pair: UTF-8 cannot encode it alone


class _Walk:
    """One walk over the composed nodes, counting values so aliases cannot explode."""

    def __init__(self, loader: yaml.SafeLoader, source: Source) -> None:
        self.loader = loader
        self.source = source
        self.values = 0
        self.open: set[int] = set()  # nodes being converted: meeting one again is a cycle

    def value(self, node: yaml.Node, path: KeyPath, depth: int) -> Any:
        self._count(node, path, depth)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path, depth)
            items = []
            for index, item in enumerate(node.value):
                self.source.lines[(*path, index)] = item.start_mark.line + 1
                items.append(self.value(item, (*path, index), depth + 1))
            return tuple(items)
        finally:
            self.open.discard(id(node))

    def _count(self, node: yaml.Node, path: KeyPath, depth: int) -> None:
        line = node.start_mark.line + 1
        where = f"{self.source.file}:{line}: {format_key(path)}"
        if id(node) in self.open:
            raise YamlError(f"{where}: an alias refers to a value that contains it")
        self.values += 1
        if self.values > MAX_VALUES:
            raise YamlError(
                f"{where}: the file expands to over {MAX_VALUES} values (aliases inside "
                "aliases?); a config this large is refused"
            )
        if depth > MAX_DEPTH:
            raise YamlError(f"{where}: aliases nest values over {MAX_DEPTH} levels deep")

    def _scalar(self, node: yaml.ScalarNode, path: KeyPath) -> Any:
        where = f"{self.source.file}:{node.start_mark.line + 1}: {format_key(path)}"
        try:
            value = self.loader.construct_object(node, deep=True)
        except (ValueError, OverflowError) as exc:  # 5000-digit ints, impossible dates
            reason = str(exc).split(";")[0]  # not Python's advice on raising its own limits
            raise YamlError(f"{where}: cannot read {_short(node.value)}: {reason}") from None
        if isinstance(value, str) and "\x00" in value:
            raise YamlError(
                f"{where}: a NUL character; no file name, argument or variable can hold one"
            )
        lone = _SURROGATE.search(value) if isinstance(value, str) else None
        if lone:
            raise YamlError(
                f"{where}: a lone surrogate ({lone[0].encode('unicode_escape').decode()}) is not "
                "text; no file name, argument or variable can hold one"
            )
        return value

    def _mapping(self, node: yaml.MappingNode, path: KeyPath, depth: int) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:  # merges first: the own keys' lines win
            if key_node.tag == _MERGE:
                merged = {**self._merge_sources(value_node, path, depth), **merged}
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                continue
            key = self._key(key_node, path)
            line = key_node.start_mark.line + 1
            if key in result:
                first = self.source.lines[(*path, key)]
                raise YamlError(
                    f"{self.source.file}:{line}: {format_key((*path, key))}: duplicate key "
                    f"(first defined on line {first})"
                )
            self.source.lines[(*path, key)] = line
            result[key] = self.value(value_node, (*path, key), depth + 1)
        return {**merged, **result}

    def _merge_sources(self, node: yaml.Node, path: KeyPath, depth: int) -> dict[str, Any]:
        """`<<: *a` or `<<: [*a, *b]`: earlier sources win, the mapping's own keys over all.
        Merged values are walked like any other, so they count against the bounds."""
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        merged: dict[str, Any] = {}
        for source in reversed(sources):
            if not isinstance(source, yaml.MappingNode):
                raise YamlError(
                    f"{self.source.file}:{source.start_mark.line + 1}: {format_key(path)}: "
                    "'<<' merges mappings only"
                )
            merged.update(self.value(source, path, depth))
        return merged

    def _key(self, node: yaml.Node, path: KeyPath) -> str:
        key = self._scalar(node, path) if isinstance(node, yaml.ScalarNode) else None
        if not isinstance(key, str):
            shown = repr(key) if isinstance(node, yaml.ScalarNode) else "a list or mapping"
            raise YamlError(
                f"{self.source.file}:{node.start_mark.line + 1}: {format_key(path)}: "
                f"keys must be text, got {shown}"
            )
        return key


def _short(text: str, limit: int = 40) -> str:
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}... ({len(text)} characters)"


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Mappings merge key by key; anything else in `over` replaces what `base` had."""
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
