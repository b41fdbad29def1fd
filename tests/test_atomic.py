"""Tests of atomic report writing (jtcse.atomic)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from jtcse.atomic import (
    fsync_directory,
    replace_folder_atomically,
    write_bytes_durably,
    write_json_atomic,
    write_lines_atomic,
    write_text_atomic,
)


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


def test_lines_are_written_one_a_line_in_utf8(tmp_path: Path) -> None:
    target = tmp_path / "corpus.txt"
    target.write_text("old\n", encoding="utf-8")

    returned = write_lines_atomic(str(target), (line for line in ["première", "", "b"]))

    assert returned == target
    assert target.read_bytes() == "première\n\nb\n".encode()
    assert _names(tmp_path) == ["corpus.txt"]


def _write_two_files(folder: Path) -> None:
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"new weights")
    (folder / "config.json").write_text("{}", encoding="utf-8")


def test_a_new_folder_is_written_under_missing_parents(tmp_path: Path) -> None:
    folder = tmp_path / "06_models" / "best" / "model"

    returned = replace_folder_atomically(str(folder), _write_two_files)

    assert returned == folder
    assert _names(folder) == ["config.json", "model.bin"]
    assert (folder / "model.bin").read_bytes() == b"new weights"
    assert _names(folder.parent) == ["model"]


def test_an_existing_folder_is_replaced_whole_without_leftovers(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"old weights")
    (folder / "stale.txt").write_text("from the old folder", encoding="utf-8")

    replace_folder_atomically(folder, _write_two_files)

    assert _names(folder) == ["config.json", "model.bin"]
    assert (folder / "model.bin").read_bytes() == b"new weights"
    assert _names(tmp_path) == ["model"]


def test_a_failing_writer_keeps_the_old_folder_and_removes_the_temporary(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"old weights")
    seen: list[Path] = []

    def half_write(temporary: Path) -> None:
        seen.append(temporary)
        temporary.mkdir()
        (temporary / "model.bin").write_bytes(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        replace_folder_atomically(folder, half_write)

    assert seen[0].parent == tmp_path and seen[0].name.startswith(".model.tmp-")
    assert _names(folder) == ["model.bin"]
    assert (folder / "model.bin").read_bytes() == b"old weights"
    assert _names(tmp_path) == ["model"]


def _fsynced_inodes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the inode of every descriptor passed to os.fsync, which still runs."""
    inodes: list[int] = []
    real_fsync = os.fsync

    def recording_fsync(descriptor: int) -> None:
        inodes.append(os.fstat(descriptor).st_ino)
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    return inodes


def test_bytes_are_written_in_place_and_fsynced(tmp_path: Path, monkeypatch) -> None:
    inodes = _fsynced_inodes(monkeypatch)
    target = tmp_path / "weights.bin"
    target.write_bytes(b"a longer old content")

    write_bytes_durably(target, b"\x00\x01new")

    assert target.read_bytes() == b"\x00\x01new"
    assert inodes == [target.stat().st_ino]
    assert _names(tmp_path) == ["weights.bin"]


@pytest.mark.skipif(os.name != "posix", reason="directories are fsynced on POSIX only")
def test_a_directory_is_fsynced_and_its_descriptor_closed(tmp_path: Path, monkeypatch) -> None:
    inodes = _fsynced_inodes(monkeypatch)
    open_before = len(os.listdir("/proc/self/fd")) if Path("/proc/self/fd").exists() else None

    fsync_directory(tmp_path)

    assert inodes == [tmp_path.stat().st_ino]
    if open_before is not None:
        assert len(os.listdir("/proc/self/fd")) == open_before
