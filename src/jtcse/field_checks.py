"""The checks every settings dataclass runs in ``__post_init__``, with one message format:
``<field> must be <what is allowed>; got <value>``."""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection
from typing import Any


def require_integer(name: str, value: Any, minimum: int, optional: bool = False) -> None:
    """``value`` is an int (not a bool) >= ``minimum``, or None when ``optional``."""
    if optional and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer{_or_null(optional)}; got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}{_or_null(optional)}; got {value!r}")


def require_real(
    name: str, value: Any, minimum: float = 0.0, strict: bool = False, optional: bool = False
) -> None:
    """``value`` is a finite number (not a bool) > ``minimum`` (``strict``) or >= it."""
    if optional and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number{_or_null(optional)}; got {value!r}")
    if value < minimum or (strict and value == minimum):
        bound = f"{'>' if strict else '>='} {minimum:g}"
        raise ValueError(f"{name} must be {bound}{_or_null(optional)}; got {value!r}")


def require_fraction(name: str, value: Any, include_one: bool = False) -> None:
    """``value`` is a number in [0, 1) (or [0, 1] with ``include_one``): a dropout rate, a
    probability, a loss weight."""
    inside = (
        not isinstance(value, bool)
        and isinstance(value, numbers.Real)
        and (0.0 <= value <= 1.0 if include_one else 0.0 <= value < 1.0)
    )
    if not inside:
        raise ValueError(f"{name} must be in [0, 1{']' if include_one else ')'}; got {value!r}")


def require_choice(name: str, value: Any, choices: Collection[Any]) -> None:
    """``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}; got {value!r}")


def require_bool(name: str, value: Any) -> None:
    """``value`` is True or False."""
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False; got {value!r}")


def _or_null(optional: bool) -> str:
    return " or null" if optional else ""


BF16_SETTINGS = (True, False, "auto")


def check_bf16_setting(setting: object, where: str = "bf16") -> bool | str:
    """``setting`` when it is true, false or ``auto``; ValueError naming ``where`` otherwise
    (:func:`jtcse.modeling.precision.resolve_bf16` decides what ``auto`` runs)."""
    if not isinstance(setting, bool | str) or setting not in BF16_SETTINGS:
        raise ValueError(f"{where} must be true, false or auto; got {setting!r}")
    return setting
