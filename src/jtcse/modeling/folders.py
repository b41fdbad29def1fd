"""Model folders written atomically: a reader sees the old folder or the new one, never half.

A model folder is a standard Hugging Face folder (``config.json``, weights, tokenizer files)
that ``AutoModel.from_pretrained`` loads.
"""

from __future__ import annotations

import hashlib
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

from transformers import PreTrainedModel, PreTrainedTokenizerBase


def replace_folder_atomically(folder: Path | str, write: Callable[[Path], None]) -> Path:
    """Call ``write(temporary)`` on a fresh sibling folder, then swap it in place of ``folder``.

    The old folder (if any) is renamed aside before the new one is renamed in, then deleted;
    both renames are atomic on one file system.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    temporary = folder.with_name(f".{folder.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        write(temporary)
        aside = folder.with_name(f".{folder.name}.old-{uuid.uuid4().hex[:8]}")
        if folder.exists():
            folder.rename(aside)
        temporary.rename(folder)
        shutil.rmtree(aside, ignore_errors=True)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return folder


def save_model_folder(
    folder: Path | str, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase
) -> Path:
    """Save ``model`` and ``tokenizer`` as one standard folder, atomically."""

    def write(target: Path) -> None:
        model.save_pretrained(target)
        tokenizer.save_pretrained(target)

    return replace_folder_atomically(folder, write)


def copy_model_folder(source: Path | str, folder: Path | str) -> Path:
    """Copy a finished model folder to ``folder``, atomically."""
    source = Path(source)
    check_model_folder(source)
    return replace_folder_atomically(folder, lambda target: shutil.copytree(source, target))


def folder_digest(folder: Path | str) -> str:
    """sha256 over the names and bytes of every file in ``folder`` (what a model folder is)."""
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(folder)).encode() + b"\0")
            with path.open("rb") as file:
                for block in iter(lambda: file.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()


def check_model_folder(folder: Path | str) -> Path:
    """Return ``folder`` if it holds a ``config.json``; else raise FileNotFoundError naming it."""
    folder = Path(folder)
    if not (folder / "config.json").is_file():
        raise FileNotFoundError(f"{folder}: not a finished model folder (no config.json)")
    return folder
