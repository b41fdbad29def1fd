"""Atomic, verified checkpoints of a training run (the state needed to resume it).

Layout inside a checkpoint directory owned by one training run::

    step-00000300/          the latest complete checkpoint (only one is kept)
        model.pt, optimizer.pt, ...   one ``torch.save`` file per saved object
        metadata.json                 JSON-serialisable training state
        manifest.json                 sha256 and size of every file above, written last
    .tmp-<hex>/             a checkpoint being written, or a leftover of a crash

A checkpoint is written into a temporary sibling directory, every file and the directory are
fsync'ed, the manifest is written last, and only then is the directory renamed to
``step-<step>``; a rename is atomic, so a ``step-*`` directory is always complete. Reading
verifies the manifest (every listed file present with the recorded sha256, nothing else) and
refuses anything else with :class:`CorruptCheckpointError` naming the path. Temporary
directories are never read as checkpoints. One training run at a time may use a directory.

These are training-state checkpoints for resuming; trained models are saved separately with
``save_pretrained``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from jtcse.atomic import fsync_directory, write_bytes_durably

MANIFEST_NAME = "manifest.json"
METADATA_NAME = "metadata.json"
MANIFEST_FORMAT_VERSION = 1
_CHECKPOINT_NAME = re.compile(r"^step-(\d+)$")
_TEMPORARY_PREFIX = ".tmp-"


class CorruptCheckpointError(RuntimeError):
    """A checkpoint directory is incomplete, altered or not a checkpoint at all."""


def write_checkpoint(
    checkpoint_dir: Path,
    step: int,
    objects: Mapping[str, Any],
    metadata: Mapping[str, Any],
) -> Path:
    """Atomically write ``step-<step>`` into ``checkpoint_dir`` and delete older checkpoints.

    Args:
        checkpoint_dir: The run's checkpoint directory (created if missing).
        step: The global optimisation step the state belongs to (>= 0).
        objects: Name -> object for ``torch.save`` (state dicts, tensors, plain containers);
            each is stored as ``<name>.pt`` and must load with ``torch.load(weights_only=True)``.
        metadata: JSON-serialisable training state, stored as ``metadata.json``.

    Returns:
        The path of the new checkpoint directory.
    """
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise ValueError(f"step must be a non-negative integer, got {step!r}")
    checkpoint_dir = Path(checkpoint_dir)
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    temporary = checkpoint_dir / f"{_TEMPORARY_PREFIX}{uuid.uuid4().hex}"
    temporary.mkdir()
    files = {f"{name}.pt": _torch_bytes(value) for name, value in objects.items()}
    files[METADATA_NAME] = json.dumps(dict(metadata), indent=2, sort_keys=True).encode()
    manifest = {
        "format_version": MANIFEST_FORMAT_VERSION,
        "step": step,
        "files": {
            name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
            for name, data in files.items()
        },
    }
    try:
        for name, data in files.items():
            write_bytes_durably(temporary / name, data)
        write_bytes_durably(temporary / MANIFEST_NAME, json.dumps(manifest, indent=2).encode())
        fsync_directory(temporary)
    except OSError as error:  # e.g. ENOSPC: the disk is full
        shutil.rmtree(temporary, ignore_errors=True)
        reason = error.strerror or str(error)
        raise OSError(
            error.errno,
            f"could not write checkpoint step {step} into {checkpoint_dir} ({reason}); the "
            "previous checkpoint is intact and a rerun resumes from it",
        ) from error

    final = checkpoint_dir / f"step-{step:08d}"
    if final.exists():
        _discard(final)
    os.replace(temporary, final)
    fsync_directory(checkpoint_dir)
    for other in _checkpoint_dirs(checkpoint_dir):
        if other != final:
            _discard(other)
    remove_temporary_dirs(checkpoint_dir)
    return final


def latest_checkpoint(checkpoint_dir: Path) -> Path | None:
    """The ``step-*`` directory with the highest step, or None; temporary dirs are ignored."""
    candidates = _checkpoint_dirs(Path(checkpoint_dir))
    if not candidates:
        return None
    return max(candidates, key=lambda path: int(_CHECKPOINT_NAME.match(path.name).group(1)))


def read_checkpoint(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Verify the checkpoint at ``path`` against its manifest and load it.

    Returns:
        ``(objects, metadata)``: name -> loaded object (on CPU), and the metadata dict.

    Raises:
        CorruptCheckpointError: the manifest is missing or unreadable, a file is missing, has
            another size or sha256 than recorded, or a file is not listed in the manifest.
    """
    path = Path(path)
    manifest_path = path / MANIFEST_NAME
    if not manifest_path.is_file():
        raise CorruptCheckpointError(
            f"checkpoint {path} has no {MANIFEST_NAME}: it is half-written or not a checkpoint"
        )
    try:
        manifest = json.loads(manifest_path.read_bytes())
        expected = {name: entry["sha256"] for name, entry in manifest["files"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise CorruptCheckpointError(f"checkpoint {path}: unreadable {MANIFEST_NAME}") from error
    present = {item.name for item in path.iterdir()} - {MANIFEST_NAME}
    if present != set(expected) or METADATA_NAME not in expected:
        raise CorruptCheckpointError(
            f"checkpoint {path}: files {sorted(present)} do not match the manifest "
            f"{sorted(expected)}"
        )
    contents = {}
    for name, digest in expected.items():
        data = (path / name).read_bytes()
        if hashlib.sha256(data).hexdigest() != digest:
            raise CorruptCheckpointError(
                f"checkpoint {path}: {name} does not match its sha256 in {MANIFEST_NAME} "
                "(truncated or modified)"
            )
        contents[name] = data
    metadata = json.loads(contents.pop(METADATA_NAME))
    objects = {
        name.removesuffix(".pt"): torch.load(
            io.BytesIO(data), map_location="cpu", weights_only=True
        )
        for name, data in contents.items()
    }
    return objects, metadata


def remove_temporary_dirs(checkpoint_dir: Path) -> None:
    """Delete leftover temporary directories (crashed or discarded writes) in the directory."""
    checkpoint_dir = Path(checkpoint_dir)
    if checkpoint_dir.is_dir():
        for item in checkpoint_dir.iterdir():
            if item.is_dir() and item.name.startswith(_TEMPORARY_PREFIX):
                shutil.rmtree(item)


def remove_checkpoints(checkpoint_dir: Path) -> None:
    """Delete every checkpoint and temporary directory; other files are left alone."""
    for path in _checkpoint_dirs(Path(checkpoint_dir)):
        _discard(path)
    remove_temporary_dirs(checkpoint_dir)


def _checkpoint_dirs(checkpoint_dir: Path) -> list[Path]:
    if not checkpoint_dir.is_dir():
        return []
    return [
        item
        for item in checkpoint_dir.iterdir()
        if item.is_dir() and _CHECKPOINT_NAME.match(item.name)
    ]


def _discard(path: Path) -> None:
    """Rename to a temporary name first, so a half-deleted dir never looks like a checkpoint."""
    doomed = path.with_name(f"{_TEMPORARY_PREFIX}{uuid.uuid4().hex}")
    os.replace(path, doomed)
    shutil.rmtree(doomed)


def _torch_bytes(value: Any) -> bytes:
    buffer = io.BytesIO()
    torch.save(value, buffer)
    return buffer.getvalue()
