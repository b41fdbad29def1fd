"""Load Hugging Face encoders with their tokenizers, from the names of
:mod:`jtcse.modeling.names` (a local folder, a Hub id or the offline base model's alias)."""

from __future__ import annotations

import os
from pathlib import Path

import torch
from transformers import AutoModel, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from jtcse.modeling.names import names_local_folder, resolve_model_path

# Set to a torch device name (e.g. ``cpu``) to choose the device: a GPU machine can then run
# CPU-only work, such as the multi-process tests on gloo. Worker processes inherit it.
DEVICE_VARIABLE = "JTCSE_DEVICE"


def default_device() -> torch.device:
    """The device models run on: ``$JTCSE_DEVICE`` when set, else the first CUDA GPU when there
    is one, else the CPU."""
    if os.environ.get(DEVICE_VARIABLE):
        return torch.device(os.environ[DEVICE_VARIABLE])
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def uses_cuda() -> bool:
    """Whether :func:`default_device` is a CUDA GPU."""
    return default_device().type == "cuda"


def load_model_and_tokenizer(
    name_or_path: str | Path, **model_kwargs: object
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load an encoder (``AutoModel``) and its tokenizer from a folder, Hub id or alias,
    on :func:`default_device`.

    ``model_kwargs`` override config values (for example ``hidden_dropout_prob=0.05``).
    Raises ``FileNotFoundError`` naming the path when a path-like name does not exist.
    """
    path = resolve_model_path(name_or_path)
    if names_local_folder(path):
        folder = Path(path).expanduser()
        if not folder.is_dir():
            raise FileNotFoundError(f"model folder not found: {path}")
        path = str(folder)
    model = AutoModel.from_pretrained(path, **model_kwargs).to(default_device())
    tokenizer = AutoTokenizer.from_pretrained(path)
    return model, tokenizer
