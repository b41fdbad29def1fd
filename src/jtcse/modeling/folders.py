"""Model folders written atomically: a reader sees the old folder or the new one, never half.

A model folder is a standard Hugging Face folder (``config.json``, weights, tokenizer files)
that ``AutoModel.from_pretrained`` loads.
"""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from jtcse.atomic import replace_folder_atomically

if TYPE_CHECKING:
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

# The model file of an ONNX export folder (jtcse.export.onnx), where sentence-transformers'
# ONNX backend looks for it.
ONNX_MODEL_FILE = "onnx/model.onnx"
# The model file of an OpenVINO export folder (jtcse.export.openvino; its weights are the .bin
# beside it), where sentence-transformers' OpenVINO backend looks for it.
OPENVINO_MODEL_FILE = "openvino/openvino_model.xml"
# The model card (jtcse.publishing.model_card): documentation, not part of what a model is.
MODEL_CARD_FILE = "README.md"


def damaged_weights(folder: Path | str, error: Exception) -> ValueError:
    """The one-line error of a weights file that does not parse (e.g. a truncated download)."""
    return ValueError(f"{folder}: damaged weights file model.safetensors ({error})")


def save_model_folder(
    folder: Path | str, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase
) -> Path:
    """Save ``model`` and ``tokenizer`` as one standard folder, atomically."""
    return replace_folder_atomically(
        folder, lambda target: write_model_folder(target, model, tokenizer)
    )


def write_model_folder(
    folder: Path, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase
) -> None:
    """Write ``model`` and ``tokenizer`` into ``folder`` (not atomic: a writer for
    :func:`jtcse.atomic.replace_folder_atomically`)."""
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)


def write_sentence_transformers_config(
    folder: Path | str, hidden_size: int, max_length: int
) -> Path:
    """Make a model folder also a sentence-transformers folder that pools the [CLS] vector.

    Writes ``modules.json`` (Transformer, then Pooling in ``1_Pooling``),
    ``sentence_bert_config.json`` (``max_seq_length`` = ``max_length`` tokens, no lower-casing
    by the wrapper) and ``1_Pooling/config.json`` ([CLS] pooling of ``hidden_size``-wide
    vectors), so ``SentenceTransformer(folder)`` encodes as :class:`jtcse.encoding.Encoder`.
    """
    if hidden_size < 1:
        raise ValueError(f"hidden_size must be >= 1; got {hidden_size}")
    if max_length < 1:
        raise ValueError(f"max_length must be >= 1; got {max_length}")
    folder = Path(folder)
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {
            "idx": 1,
            "name": "1",
            "path": "1_Pooling",
            "type": "sentence_transformers.models.Pooling",
        },
    ]
    pooling = {
        "word_embedding_dimension": hidden_size,
        "pooling_mode_cls_token": True,
        "pooling_mode_mean_tokens": False,
        "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False,
    }
    (folder / "1_Pooling").mkdir(parents=True, exist_ok=True)
    for path, content in (
        (folder / "modules.json", modules),
        (
            folder / "sentence_bert_config.json",
            {"max_seq_length": max_length, "do_lower_case": False},
        ),
        (folder / "1_Pooling" / "config.json", pooling),
    ):
        path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
    return folder


def copy_model_folder(source: Path | str, folder: Path | str, marker: str = "config.json") -> Path:
    """Copy a finished model folder (one holding ``marker``) to ``folder``, atomically."""
    source = Path(source)
    check_model_folder(source, marker)
    return replace_folder_atomically(folder, lambda target: shutil.copytree(source, target))


def folder_digest(folder: Path | str) -> str:
    """sha256 over the names and bytes of every file in ``folder`` (what a model folder is),
    leaving out its model card: rewriting the card changes no model."""
    digest = hashlib.sha256()
    for path in _model_files(Path(folder)):
        if path.is_file():
            digest.update(str(path.relative_to(folder)).encode() + b"\0")
            with path.open("rb") as file:
                for block in iter(lambda: file.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()


def remembered_folder_digest(folder: Path | str) -> str:
    """:func:`folder_digest`, computed once per process for the same files (names, sizes and
    modification times): a folder replaced or edited since is hashed again."""
    folder = Path(folder).resolve()
    files = [path for path in _model_files(folder) if path.is_file()]
    signature = tuple(
        (str(path.relative_to(folder)), path.stat().st_size, path.stat().st_mtime_ns)
        for path in files
    )
    return _digest_of_files(folder, signature)


def _model_files(folder: Path) -> list[Path]:
    """Every path under ``folder``, sorted, but the model card."""
    card = folder / MODEL_CARD_FILE
    return sorted(path for path in folder.rglob("*") if path != card)


@functools.lru_cache(maxsize=64)
def _digest_of_files(folder: Path, signature: tuple[tuple[str, int, int], ...]) -> str:
    return folder_digest(folder)


def is_onnx_export(folder: Path | str, layout: str = ONNX_MODEL_FILE) -> bool:
    """Whether ``folder`` is an ONNX export (or, with ``layout`` :data:`OPENVINO_MODEL_FILE`,
    an OpenVINO one): it holds ``layout`` and no PyTorch weights (a Hugging Face folder that
    also ships ONNX files loads as PyTorch)."""
    folder = Path(folder)
    weights = [*folder.glob("*.safetensors"), *folder.glob("pytorch_model*.bin")]
    return (folder / layout).is_file() and not weights


def onnx_export_folder(model_file: Path | str, layout: str = ONNX_MODEL_FILE) -> Path:
    """The export folder of an ONNX model file (or an OpenVINO one, with ``layout``
    :data:`OPENVINO_MODEL_FILE`): the folder ``layout`` is relative to when the file sits
    there, else the file's own folder."""
    model_file = Path(model_file)
    depth = len(Path(layout).parts)
    if model_file.parts[-depth:] == Path(layout).parts:
        return model_file.parents[depth - 1]
    return model_file.parent


def check_model_folder(folder: Path | str, marker: str = "config.json") -> Path:
    """Return ``folder`` if it holds ``marker`` (``config.json`` for a Hugging Face folder,
    :data:`ONNX_MODEL_FILE` for an ONNX export); else raise FileNotFoundError naming it."""
    folder = Path(folder)
    if not (folder / marker).is_file():
        raise FileNotFoundError(f"{folder}: not a finished model folder (no {marker})")
    return folder
