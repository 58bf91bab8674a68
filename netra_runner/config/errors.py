"""Turn pydantic's validation errors into 'file:line: key: what was expected' lines."""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

from pydantic import ValidationError

from netra_runner.config import model
from netra_runner.config.yaml_source import KeyPath, Source
from netra_runner.suggest import did_you_mean

_EXPECTED = {
    "float_type": "expected a number",
    "int_type": "expected a whole number",
    "int_from_float": "expected a whole number",
    "string_type": "expected text",
    "bool_type": "expected true or false",
    "tuple_type": "expected a list",
    "list_type": "expected a list",
    "dict_type": "expected a mapping",
    "dataclass_type": "expected a mapping",
    "too_short": "must not be empty",
    "missing": "required key is missing",
}


def describe(exc: ValidationError, source: Source, prefix: KeyPath = ()) -> list[str]:
    problems = []
    for error in exc.errors():
        path: KeyPath = (*prefix, *error["loc"])
        problems.append(f"{source.where(path)}: {_message(error, path[len(prefix) :])}")
    return list(dict.fromkeys(problems))


def _message(error: Any, loc: KeyPath) -> str:
    kind = error["type"]
    if kind == "unexpected_keyword_argument":
        allowed = allowed_keys(loc[:-1])
        hint = did_you_mean(str(loc[-1]), allowed)
        return f"unknown key{hint}; allowed here: {', '.join(allowed)}"
    text = _EXPECTED.get(kind) or error["msg"].removeprefix("Value error, ")
    value = error.get("input")
    if kind in _EXPECTED and kind not in ("missing", "too_short") and _is_scalar(value):
        text += f", got {value!r}"
    return text


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def allowed_keys(loc: KeyPath) -> list[str]:
    """The field names of the schema record found at loc (walking dicts and tuples)."""
    current: Any = model.Config
    for part in loc:
        current = _step(current, part)
    current = _unwrap(current)
    if dataclasses.is_dataclass(current):
        return [field.name for field in dataclasses.fields(current)]
    return []


def _step(current: Any, part: str | int) -> Any:
    current = _unwrap(current)
    if dataclasses.is_dataclass(current):
        return typing.get_type_hints(current)[str(part)]
    args = typing.get_args(current)
    return args[-1] if args else None  # dict[str, X] -> X; tuple[X, ...] -> X


def _unwrap(tp: Any) -> Any:
    """Strip Annotated[...] and Optional[...] around a schema record type."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            tp = next(arg for arg in typing.get_args(tp) if arg is not type(None))
        else:
            return tp
