"""Tests of atomic report writing (jtcse.atomic)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jtcse.atomic import write_json_atomic, write_text_atomic


def _names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_text_is_written_in_new_folders_without_leftovers(tmp_path: Path) -> None:
    target = tmp_path / "08_reporting" / "table.md"

    returned = write_text_atomic(str(target), "| a |\n")
    write_text_atomic(target, "| b |\n")

    assert returned == target
    assert target.read_text(encoding="utf-8") == "| b |\n"
    assert _names(target.parent) == ["table.md"]


def test_json_is_indented_and_ends_with_a_newline(tmp_path: Path) -> None:
    target = tmp_path / "scores.json"
    payload = {"STS12": 75.01, "avg": 79.89, "dev": None}

    write_json_atomic(target, payload)

    text = target.read_text(encoding="utf-8")
    assert json.loads(text) == payload
    assert text == json.dumps(payload, indent=2) + "\n"
    assert _names(tmp_path) == ["scores.json"]


def test_unserialisable_json_keeps_the_old_file(tmp_path: Path) -> None:
    target = write_json_atomic(tmp_path / "scores.json", {"avg": 1.0})

    with pytest.raises(TypeError):
        write_json_atomic(target, {"avg": object()})

    assert json.loads(target.read_text(encoding="utf-8")) == {"avg": 1.0}
    assert _names(tmp_path) == ["scores.json"]


def test_failure_while_writing_keeps_the_old_file_and_removes_the_temporary(
    tmp_path: Path,
) -> None:
    target = write_text_atomic(tmp_path / "table.md", "old\n")

    # A lone surrogate cannot be encoded as UTF-8: the write fails after the temporary exists.
    with pytest.raises(UnicodeEncodeError):
        write_text_atomic(target, "new text " + "\ud800")

    assert target.read_text(encoding="utf-8") == "old\n"
    assert _names(tmp_path) == ["table.md"]
