"""Build the library's settings objects from parameter dictionaries, with errors that name
the parameter (``tower_training.towers.tower_1.settings.dropout: ...``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")


def build_settings(cls: type[T], values: Mapping[str, Any] | None, where: str) -> T:
    """``cls(**values)`` for a dataclass ``cls``; unknown keys, wrong types and values the
    dataclass refuses raise a ValueError that starts with the parameter path ``where``."""
    values = dict(values or {})
    fields = {field.name: field for field in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; expected some of {sorted(fields)}")
    for name, value in values.items():
        expected = _expected_types(fields[name].type)
        wrong_bool = isinstance(value, bool) and bool not in expected
        if expected and value is not None and (wrong_bool or not isinstance(value, expected)):
            raise ValueError(
                f"{where}.{name}: expected {fields[name].type}, got {type(value).__name__} "
                f"{value!r}"
            )
    try:
        return cls(**values)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where}: {error}") from None


_SIMPLE_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "str": (str,),
}


def _expected_types(annotation: object) -> tuple[type, ...]:
    """Python types allowed by a simple annotation string such as ``"int | None"``."""
    allowed: tuple[type, ...] = ()
    for part in str(annotation).replace(" ", "").split("|"):
        if part == "None":
            continue
        if part not in _SIMPLE_TYPES:
            return ()
        allowed += _SIMPLE_TYPES[part]
    return allowed
