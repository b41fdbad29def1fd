"""Load Hugging Face encoders with their tokenizers, from the names of
:mod:`jtcse.modeling.names` (a local folder, a Hub id or the offline base model's alias)."""

from __future__ import annotations

import os
from pathlib import Path

from safetensors import SafetensorError
from transformers import AutoModel, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from jtcse.modeling.device import default_device
from jtcse.modeling.folders import damaged_weights
from jtcse.modeling.names import names_local_folder, resolve_model_path

# Set to 1 to load a local folder whose only weights are pickled (pytorch_model.bin):
# unpickling can run code, so only for folders you trust.
PICKLE_VARIABLE = "JTCSE_ALLOW_PICKLED_WEIGHTS"


def load_model_and_tokenizer(
    name_or_path: str | Path, **model_kwargs: object
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load an encoder (``AutoModel``) and its tokenizer from a folder, Hub id or alias,
    on :func:`default_device`.

    ``model_kwargs`` override config values (for example ``hidden_dropout_prob=0.05``).
    Raises ``FileNotFoundError`` naming the path when a path-like name does not exist.
    """
    path = _local_or_hub(resolve_model_path(name_or_path))
    model = load_pretrained_model(path, **model_kwargs).to(default_device())
    return model, AutoTokenizer.from_pretrained(path)


def load_pretrained_model(name_or_path: str | Path, **model_kwargs: object) -> PreTrainedModel:
    """``AutoModel.from_pretrained`` that never runs code from the folder: no remote code, and
    safetensors weights only unless ``$JTCSE_ALLOW_PICKLED_WEIGHTS=1``.

    Raises FileNotFoundError for a missing local folder, and ValueError naming the folder and
    the file for pickled-only weights or a damaged weights file (e.g. a truncated download).
    """
    path = _local_or_hub(resolve_model_path(name_or_path))
    pickle_allowed = os.environ.get(PICKLE_VARIABLE) == "1"
    if Path(path).is_dir() and not pickle_allowed and _only_pickled_weights(Path(path)):
        raise ValueError(
            f"{path}: only pickled weights (pytorch_model.bin), which can run code when "
            f"loaded; convert them to model.safetensors, or set {PICKLE_VARIABLE}=1 for a "
            "folder you trust"
        )
    options = {"trust_remote_code": False, **model_kwargs}
    if not pickle_allowed:
        options["use_safetensors"] = True
    try:
        return AutoModel.from_pretrained(path, **options)
    except SafetensorError as error:
        raise damaged_weights(path, error) from None


def _local_or_hub(path: str) -> str:
    """A local folder as an expanded path (FileNotFoundError when missing), else the Hub id."""
    if not names_local_folder(path):
        return path
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(f"model folder not found: {path}")
    return str(folder)


def _only_pickled_weights(folder: Path) -> bool:
    safetensors = list(folder.glob("*.safetensors")) + list(folder.glob("*.safetensors.index.json"))
    return not safetensors and any(folder.glob("pytorch_model*.bin"))
