from pathlib import Path

import pytest

from netra_runner.config.yaml_source import YamlError, deep_merge, format_key, load_yaml

F = Path("c.yaml")


def test_lines_are_recorded_for_keys_and_items() -> None:
    source = load_yaml(F, "a:\n  b:\n    - x\n    - y\nc: 1\n")
    assert source.data == {"a": {"b": ("x", "y")}, "c": 1}
    assert source.lines[("a", "b")] == 2
    assert source.lines[("a", "b", 1)] == 4
    assert source.line_of(("a", "b", 1, "deeper")) == 4
    assert source.line_of(("c",)) == 5


def test_duplicate_key_names_both_lines() -> None:
    with pytest.raises(
        YamlError, match=r"c.yaml:3: a.b: duplicate key \(first defined on line 2\)"
    ):
        load_yaml(F, "a:\n  b: 1\n  b: 2\n")


def test_merge_keys_may_be_overridden() -> None:
    source = load_yaml(F, "base: &b {x: 1, y: 2}\nmine:\n  <<: *b\n  y: 3\n")
    assert source.data["mine"] == {"x": 1, "y": 3}


def test_tab_indentation_is_named() -> None:
    with pytest.raises(YamlError, match=r"c.yaml:2: a tab indents this line"):
        load_yaml(F, "a:\n\tb: 1\n")


def test_syntax_error_has_a_line() -> None:
    with pytest.raises(YamlError, match=r"c.yaml:2: invalid YAML"):
        load_yaml(F, "a: [1, 2\nb: 3\n")


def test_non_text_keys_are_refused() -> None:
    with pytest.raises(YamlError, match="keys must be text"):
        load_yaml(F, "1: a\n")


def test_format_key() -> None:
    assert format_key(("categories", "unit", "paths", 0)) == "categories.unit.paths[0]"
    assert format_key(()) == "(top level)"


def test_deep_merge_merges_mappings_and_replaces_the_rest() -> None:
    base = {"a": {"x": 1, "y": [1]}, "b": 1}
    assert deep_merge(base, {"a": {"y": [2]}, "c": 3}) == {"a": {"x": 1, "y": [2]}, "b": 1, "c": 3}
    assert base == {"a": {"x": 1, "y": [1]}, "b": 1}


def test_a_mistake_found_late_names_where_its_block_began(tmp_path: Path) -> None:
    text = 'version: 1\ncategories:\n  unit:\n    env:\n      A: "1\n      B: 2\n'
    with pytest.raises(YamlError) as raised:
        load_yaml(tmp_path / "c.yaml", text)
    assert "c.yaml:7: invalid YAML" in str(raised.value)
    assert "that began at line 5" in str(raised.value)
