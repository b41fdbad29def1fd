"""Shared pieces of the short real training runs in the tests."""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import AutoModel

from tests.tiny_bert import TINY_CORPUS

CORPUS = TINY_CORPUS + [f"{a} {b}" for a, b in zip(TINY_CORPUS, reversed(TINY_CORPUS), strict=True)]


def weights(folder: Path) -> dict[str, torch.Tensor]:
    """The state dict of the model folder ``folder``."""
    return AutoModel.from_pretrained(folder).state_dict()


def folder_stamp(folder: Path) -> tuple[int, int]:
    """Changes when the folder is replaced or its weights rewritten."""
    return folder.stat().st_ino, (folder / "model.safetensors").stat().st_mtime_ns
