"""Export an encoder's [CLS] embedding to ONNX, quantize it to int8, and check the parity.

The exported graph maps ``input_ids`` and ``attention_mask`` (int64, [batch, sequence]) to
``last_hidden_state`` ([batch, sequence, hidden], float32) and ``sentence_embedding`` = h_CLS,
the last-layer hidden state at position 0 ([batch, hidden]): the ``cls`` pooling of
:mod:`jtcse.modeling.pooling`. Batch and sequence length are dynamic. An export folder is laid
out as sentence-transformers' ONNX backend loads it: ``onnx/model.onnx``, ``config.json``, the
tokenizer files, ``modules.json`` with ``1_Pooling`` ([CLS] pooling of ``last_hidden_state``)
and ``sentence_bert_config.json``, plus ``export_metadata.json``;
:class:`jtcse.encoding.onnx_runtime.OnnxEncoder` encodes with its ``sentence_embedding``, and
``SentenceTransformer(folder, backend="onnx")`` (with ``optimum[onnxruntime]``) with its
``last_hidden_state``.

Example:
    >>> model_path = export_onnx("data/06_models/tower_1", Path("data/06_models/onnx"))
    >>> encoder = OnnxEncoder.load(model_path)
    >>> vectors = encoder.encode(["a man plays a guitar .", "a woman slices an onion ."])
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
import torch
import transformers
from onnxruntime.quantization import QuantType, quantize_dynamic
from transformers import PreTrainedModel

from jtcse.atomic import atomic_path, open_atomic, replace_folder_atomically, write_json_atomic
from jtcse.encoding import Encoder, max_tokens, normalize_rows
from jtcse.encoding.onnx_runtime import (
    METADATA_FILE,
    OUTPUT_NAME,
    OnnxEncoder,
    check_model_file,
    read_metadata,
)
from jtcse.modeling.folders import (
    MODEL_CARD_FILE,
    ONNX_MODEL_FILE,
    onnx_export_folder,
    write_sentence_transformers_config,
)
from jtcse.modeling.loading import load_model_and_tokenizer

INPUT_NAMES = ("input_ids", "attention_mask")
HIDDEN_STATES_NAME = "last_hidden_state"  # what sentence-transformers' ONNX backend reads
QUANTIZATION = "dynamic int8, MatMul weights per channel"
# Two sentences of different lengths, so the traced graph includes the padding mask.
TRACING_SENTENCES = ["a short sentence .", "a second sentence , longer than the first one ."]


class TokensAndClsEmbedding(torch.nn.Module):
    """Wrap an encoder so that it returns the last hidden states [batch, sequence, hidden] and
    h_CLS = last_hidden_state[:, 0], [batch, hidden]."""

    def __init__(self, model: PreTrainedModel) -> None:
        super().__init__()
        self.model = model

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return hidden, hidden[:, 0]


def export_onnx(model_folder: str | Path, output_dir: Path, opset: int = 17) -> Path:
    """Export the float32 hidden states and [CLS] embedding of ``model_folder`` to
    ``output_dir/onnx/model.onnx``, laid out for sentence-transformers (see the module).

    Uses the TorchScript exporter (``dynamo=False``) on the model with eager attention.
    sentence-transformers truncates at the length :class:`OnnxEncoder` does (the smaller of the
    position table and the tokenizer's ``model_max_length``), so both give the same vectors.
    The whole ``output_dir`` is replaced atomically. Returns the path of the ``.onnx`` file.
    """
    model, tokenizer = load_model_and_tokenizer(model_folder, attn_implementation="eager")
    model = model.float().cpu().eval()
    wrapper = TokensAndClsEmbedding(model).eval()
    hidden_size = int(model.config.hidden_size)
    example = tokenizer(TRACING_SENTENCES, padding=True, return_tensors="pt")
    sequence_axes = {0: "batch", 1: "sequence"}
    metadata = {
        "opset": opset,
        "input_names": list(INPUT_NAMES),
        "output_name": OUTPUT_NAME,
        "output_names": [HIDDEN_STATES_NAME, OUTPUT_NAME],
        "pooling": "cls",
        "hidden_size": hidden_size,
        "max_position_embeddings": int(model.config.max_position_embeddings),
        "source_folder": str(model_folder),
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
        "onnx_version": onnx.__version__,
    }

    def write(folder: Path) -> None:
        (folder / ONNX_MODEL_FILE).parent.mkdir(parents=True)
        with torch.no_grad(), warnings.catch_warnings():
            # The tracer warns about Python-side shape checks in the mask code of transformers;
            # they compare the mask with its own length, which holds for every input.
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            torch.onnx.export(
                wrapper,
                (example["input_ids"], example["attention_mask"]),
                str(folder / ONNX_MODEL_FILE),
                input_names=list(INPUT_NAMES),
                output_names=[HIDDEN_STATES_NAME, OUTPUT_NAME],
                dynamic_axes={
                    **dict.fromkeys([*INPUT_NAMES, HIDDEN_STATES_NAME], sequence_axes),
                    OUTPUT_NAME: {0: "batch"},
                },
                opset_version=opset,
                dynamo=False,
            )
        onnx.checker.check_model(str(folder / ONNX_MODEL_FILE))
        tokenizer.save_pretrained(folder)
        model.config.save_pretrained(folder)
        positions = model.config.max_position_embeddings
        write_sentence_transformers_config(folder, hidden_size, max_tokens(positions, tokenizer))
        write_json_atomic(folder / METADATA_FILE, metadata)

    return replace_folder_atomically(output_dir, write) / ONNX_MODEL_FILE


def quantize_int8(onnx_path: Path, output_path: Path) -> Path:
    """Write a dynamically quantized copy of ``onnx_path`` to ``output_path``, atomically.

    MatMul weights become int8 with one scale per output channel, w ~ s_c * q (q in
    [-128, 127]); activations are quantized per batch at run time. When ``output_path`` is in
    another export folder (:func:`~jtcse.modeling.folders.onnx_export_folder`), the other
    files of the source's export folder (tokenizer, configurations) and the metadata (with a
    ``quantization`` entry) are copied there. Returns ``output_path``.
    """
    onnx_path, output_path = Path(onnx_path), Path(output_path)
    check_model_file(onnx_path)
    if output_path.resolve() == onnx_path.resolve():
        raise ValueError(f"output_path must differ from onnx_path; got {output_path}")
    output_path.parent.mkdir(parents=True, exist_ok=True)
    source, target = onnx_export_folder(onnx_path), onnx_export_folder(output_path)
    if source.resolve() != target.resolve():
        copy_export_files(source, target, {"quantization": QUANTIZATION})
    with atomic_path(output_path) as temporary:
        quantize_dynamic(
            onnx_path,
            temporary,
            op_types_to_quantize=["MatMul"],
            per_channel=True,
            weight_type=QuantType.QInt8,
        )
    return output_path


def copy_export_files(source: Path, target: Path, metadata: dict[str, object]) -> None:
    """Copy the files of the export folder ``source`` to ``target`` (atomically, file by file)
    but its ONNX models and model card, and write its metadata updated with ``metadata``."""
    models = source / Path(ONNX_MODEL_FILE).parent
    for path in sorted(source.rglob("*")):
        copied = path.name not in (METADATA_FILE, MODEL_CARD_FILE) and path.suffix != ".onnx"
        if path.is_file() and copied and not path.is_relative_to(models):
            with open_atomic(target / path.relative_to(source), "wb") as handle:
                handle.write(path.read_bytes())
    write_json_atomic(target / METADATA_FILE, {**read_metadata(source), **metadata})


def parity(
    model_folder: str | Path, onnx_path: str | Path, sentences: Sequence[str]
) -> dict[str, float]:
    """Compare the PyTorch float32 [CLS] embeddings of ``model_folder`` with the ONNX ones
    (see :func:`compare_rows`)."""
    sentences = list(sentences)
    if not sentences:
        raise ValueError("sentences must not be empty")
    reference = Encoder.load(model_folder, pooling="cls").encode(sentences)
    return compare_rows(reference, OnnxEncoder.load(onnx_path).encode(sentences))


def compare_rows(reference: np.ndarray, exported: np.ndarray) -> dict[str, float]:
    """``max_abs_difference`` = max_ij |a_ij - b_ij| and ``min_cosine`` =
    min_i a_i . b_i / (|a_i| |b_i|) between the rows of two [sentences, dimension] arrays."""
    cosines = np.sum(normalize_rows(reference) * normalize_rows(exported), axis=1)
    return {
        "max_abs_difference": float(np.abs(reference - exported).max()),
        "min_cosine": float(cosines.min()),
    }
