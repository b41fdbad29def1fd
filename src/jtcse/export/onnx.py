"""Export an encoder's [CLS] embedding to ONNX, quantize it to int8, and check the parity.

The exported graph maps ``input_ids`` and ``attention_mask`` (int64, [batch, sequence]) to
``sentence_embedding`` = h_CLS, the last-layer hidden state at position 0 ([batch, hidden],
float32): the ``cls`` pooling of :mod:`jtcse.modeling.pooling`. Batch and sequence length are
dynamic. An export folder holds ``model.onnx``, the tokenizer files and
``export_metadata.json``; :class:`jtcse.encoding.onnx_runtime.OnnxEncoder` encodes with it.

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
from jtcse.encoding import Encoder, normalize_rows
from jtcse.encoding.onnx_runtime import (
    METADATA_FILE,
    OUTPUT_NAME,
    OnnxEncoder,
    check_model_file,
    read_metadata,
)
from jtcse.modeling.folders import ONNX_MODEL_FILE
from jtcse.modeling.loading import load_model_and_tokenizer

INPUT_NAMES = ("input_ids", "attention_mask")
QUANTIZATION = "dynamic int8, MatMul weights per channel"
# Two sentences of different lengths, so the traced graph includes the padding mask.
TRACING_SENTENCES = ["a short sentence .", "a second sentence , longer than the first one ."]


class ClsEmbedding(torch.nn.Module):
    """Wrap an encoder so that it returns h_CLS = last_hidden_state[:, 0], [batch, hidden]."""

    def __init__(self, model: PreTrainedModel) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        outputs = self.model(input_ids=input_ids, attention_mask=attention_mask)
        return outputs.last_hidden_state[:, 0]


def export_onnx(model_folder: str | Path, output_dir: Path, opset: int = 17) -> Path:
    """Export the float32 [CLS] embedding of ``model_folder`` to ``output_dir/model.onnx``.

    Uses the TorchScript exporter (``dynamo=False``) on the model with eager attention. The
    whole ``output_dir`` (model, tokenizer files, ``export_metadata.json``) is replaced
    atomically. Returns the path of ``model.onnx``.
    """
    model, tokenizer = load_model_and_tokenizer(model_folder, attn_implementation="eager")
    model = model.float().cpu().eval()
    wrapper = ClsEmbedding(model).eval()
    example = tokenizer(TRACING_SENTENCES, padding=True, return_tensors="pt")
    sequence_axes = {0: "batch", 1: "sequence"}
    metadata = {
        "opset": opset,
        "input_names": list(INPUT_NAMES),
        "output_name": OUTPUT_NAME,
        "pooling": "cls",
        "hidden_size": int(model.config.hidden_size),
        "max_position_embeddings": int(model.config.max_position_embeddings),
        "source_folder": str(model_folder),
        "torch_version": torch.__version__,
        "transformers_version": transformers.__version__,
        "onnx_version": onnx.__version__,
    }

    def write(folder: Path) -> None:
        folder.mkdir(parents=True)
        with torch.no_grad(), warnings.catch_warnings():
            # The tracer warns about Python-side shape checks in the mask code of transformers;
            # they compare the mask with its own length, which holds for every input.
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            torch.onnx.export(
                wrapper,
                (example["input_ids"], example["attention_mask"]),
                str(folder / ONNX_MODEL_FILE),
                input_names=list(INPUT_NAMES),
                output_names=[OUTPUT_NAME],
                dynamic_axes={
                    **dict.fromkeys(INPUT_NAMES, sequence_axes),
                    OUTPUT_NAME: {0: "batch"},
                },
                opset_version=opset,
                dynamo=False,
            )
        onnx.checker.check_model(str(folder / ONNX_MODEL_FILE))
        tokenizer.save_pretrained(folder)
        write_json_atomic(folder / METADATA_FILE, metadata)

    return replace_folder_atomically(output_dir, write) / ONNX_MODEL_FILE


def quantize_int8(onnx_path: Path, output_path: Path) -> Path:
    """Write a dynamically quantized copy of ``onnx_path`` to ``output_path``, atomically.

    MatMul weights become int8 with one scale per output channel, w ~ s_c * q (q in
    [-128, 127]); activations are quantized per batch at run time. When ``output_path`` is in
    another folder, the tokenizer files and the metadata (with a ``quantization`` entry) are
    copied beside it. Returns ``output_path``.
    """
    onnx_path, output_path = Path(onnx_path), Path(output_path)
    check_model_file(onnx_path)
    if output_path.resolve() == onnx_path.resolve():
        raise ValueError(f"output_path must differ from onnx_path; got {output_path}")
    output_path.parent.mkdir(parents=True, exist_ok=True)
    if output_path.parent.resolve() != onnx_path.parent.resolve():
        _copy_sidecar_files(onnx_path.parent, output_path.parent)
    with atomic_path(output_path) as temporary:
        quantize_dynamic(
            onnx_path,
            temporary,
            op_types_to_quantize=["MatMul"],
            per_channel=True,
            weight_type=QuantType.QInt8,
        )
    return output_path


def _copy_sidecar_files(source: Path, target: Path) -> None:
    """Copy the tokenizer files of ``source`` to ``target`` (atomically, file by file) and
    write the metadata with its ``quantization`` entry."""
    for path in sorted(source.iterdir()):
        if path.is_file() and path.suffix != ".onnx" and path.name != METADATA_FILE:
            with open_atomic(target / path.name, "wb") as handle:
                handle.write(path.read_bytes())
    metadata = read_metadata(source)
    write_json_atomic(target / METADATA_FILE, {**metadata, "quantization": QUANTIZATION})


def parity(
    model_folder: str | Path, onnx_path: str | Path, sentences: Sequence[str]
) -> dict[str, float]:
    """Compare the PyTorch float32 [CLS] embeddings of ``model_folder`` with the ONNX ones.

    Returns ``max_abs_difference`` = max_ij |a_ij - b_ij| and ``min_cosine`` =
    min_i a_i . b_i / (|a_i| |b_i|) over the rows of ``sentences``.
    """
    sentences = list(sentences)
    if not sentences:
        raise ValueError("sentences must not be empty")
    reference = Encoder.load(model_folder, pooling="cls").encode(sentences)
    exported = OnnxEncoder.load(onnx_path).encode(sentences)
    cosines = np.sum(normalize_rows(reference) * normalize_rows(exported), axis=1)
    return {
        "max_abs_difference": float(np.abs(reference - exported).max()),
        "min_cosine": float(cosines.min()),
    }
