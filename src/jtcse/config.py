"""Build the library's settings objects from parameter dictionaries, with errors that name
the parameter (``tower_training.towers.tower_1.settings.dropout: ...``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")


def build_settings(cls: type[T], values: Mapping[str, Any] | None, where: str) -> T:
    """``cls(**values)`` for a dataclass ``cls``; unknown keys, wrong types (None included,
    unless the annotation allows it) and values the dataclass refuses raise a ValueError that
    starts with the parameter path ``where``."""
    values = dict(values or {})
    fields = {field.name: field for field in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; expected some of {sorted(fields)}")
    for name, value in values.items():
        expected, optional = _expected_types(fields[name].type)
        wrong_bool = isinstance(value, bool) and bool not in expected
        wrong_none = value is None and not optional
        wrong_type = value is not None and (wrong_bool or not isinstance(value, expected))
        if expected and (wrong_none or wrong_type):
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


def _expected_types(annotation: object) -> tuple[tuple[type, ...], bool]:
    """Python types allowed by a simple annotation string such as ``"int | None"``, and
    whether None is allowed; ``((), True)`` (nothing checked) for any other annotation."""
    allowed: tuple[type, ...] = ()
    optional = False
    for part in str(annotation).replace(" ", "").split("|"):
        if part == "None":
            optional = True
            continue
        if part not in _SIMPLE_TYPES:
            return (), True
        allowed += _SIMPLE_TYPES[part]
    return allowed, optional
