"""Reading the local task files: each error names the file and, where there is one, the line."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

# subset -> split -> table: one task's data in its Hub layout
TaskData = dict[str, dict[str, pd.DataFrame]]


class MtebLayoutError(ValueError):
    """A local task file is missing or has a line that cannot be converted."""


def existing(path: Path) -> Path:
    """``path``, or MtebLayoutError when it is not a file."""
    if not path.is_file():
        raise MtebLayoutError(f"{path}: file not found")
    return path


def read_csv(
    path: Path, delimiter: str = ",", required: tuple[str, ...] = ()
) -> list[dict[str, str]]:
    """Rows of a CSV/TSV file with a header (ordinary CSV quoting, fields of any length), each
    with the ``required`` fields (else MtebLayoutError naming the line the record ends on)."""
    csv.field_size_limit(sys.maxsize)
    rows = []
    with existing(path).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        for row in reader:
            _require(row, required, path, reader.line_num)
            rows.append(row)
    return rows


def read_jsonl(path: Path, required: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The JSON object of each non-blank line, each with the ``required`` fields."""
    rows = []
    for number, line in enumerate(lines(path), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise MtebLayoutError(f"{path}:{number}: not JSON ({error.msg})") from None
        _require(row, required, path, number)
        rows.append(row)
    return rows


def _require(row: Any, names: tuple[str, ...], path: Path, line: int) -> None:
    missing = [name for name in names if not isinstance(row, dict) or row.get(name) is None]
    if missing:
        raise MtebLayoutError(f"{path}:{line}: no field {missing[0]!r}")


def label_ids(
    rows: Iterable[Mapping[str, str]], path: Path, column: str, labels: Mapping[str, int]
) -> list[int]:
    """The id of each row's label in ``column``; the first unknown label is named."""
    ids = []
    for line, row in enumerate(rows, start=2):  # line 1 is the header
        if row.get(column) not in labels:
            raise MtebLayoutError(f"{path}:{line}: unknown label {row.get(column)!r}")
        ids.append(labels[row[column]])
    return ids


def lines(path: Path, keep_ends: bool = False) -> list[str]:
    """The file's lines (universal newlines off: a CR inside a line stays)."""
    with existing(path).open(encoding="utf-8", newline="") as handle:
        text = handle.read()
    return text.splitlines(keepends=keep_ends)


def score(raw: str, path: Path, line: int) -> float:
    """``raw`` as a float, or MtebLayoutError naming the line."""
    try:
        return float(raw)
    except ValueError:
        raise MtebLayoutError(f"{path}:{line}: score {raw!r} is not a number") from None


def scores(path: Path) -> list[float]:
    """One score a line."""
    return [score(line, path, number) for number, line in enumerate(lines(path), start=1)]


def tab_rows(
    path: Path, count: int, header: bool = False, skip_blank: bool = True
) -> list[tuple[int, list[str]]]:
    """(line number, tab-separated fields) of each line with at least ``count`` fields (the
    first line skipped as a header; blank lines skipped unless ``skip_blank`` is false)."""
    rows = []
    for line_number, line in enumerate(lines(path)[int(header) :], start=1 + int(header)):
        if skip_blank and not line.strip():
            continue
        row = line.split("\t")
        if len(row) < count:
            raise MtebLayoutError(
                f"{path}:{line_number}: expected at least {count} tab-separated fields"
            )
        rows.append((line_number, row))
    return rows
