"""The ONNX Runtime backend: encode with an exported model (:mod:`jtcse.export.onnx`).

An export folder holds ``onnx/model.onnx`` (``input_ids``, ``attention_mask`` int64 [batch,
sequence] -> ``last_hidden_state`` float32 [batch, sequence, hidden] and ``sentence_embedding``
= h_CLS float32 [batch, hidden]), the tokenizer files, ``config.json``, the sentence-transformers
files and ``export_metadata.json`` (:mod:`jtcse.export.onnx`). Imports ONNX Runtime, so
:func:`jtcse.encoding.load_encoder` imports this module only for an export.

Example:
    >>> encoder = OnnxEncoder.load("data/06_models/student_onnx")
    >>> vectors = encoder.encode(["a man plays a guitar .", "a woman slices an onion ."])
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime
import torch
from onnxruntime.capi.onnxruntime_pybind11_state import Fail, InvalidGraph, InvalidProtobuf
from transformers import AutoTokenizer, PreTrainedTokenizerBase

from jtcse.encoding.base import TokenizedEncoder, max_tokens
from jtcse.modeling.folders import ONNX_MODEL_FILE, onnx_export_folder, remembered_folder_digest

METADATA_FILE = "export_metadata.json"
OUTPUT_NAME = "sentence_embedding"


class OnnxEncoder(TokenizedEncoder):
    """Sentence encoder over an exported ONNX model, run by ONNX Runtime on the CPU, with the
    ``cls`` pooling it was exported with."""

    def __init__(
        self,
        session: onnxruntime.InferenceSession,
        tokenizer: PreTrainedTokenizerBase,
        max_length: int,
        source: Path | None = None,
    ) -> None:
        super().__init__(tokenizer, max_length)
        self.session = session
        self.input_names = [model_input.name for model_input in session.get_inputs()]
        self.source = source

    @classmethod
    def load(cls, path: str | Path) -> OnnxEncoder:
        """Load a ``.onnx`` file, or an export folder holding ``onnx/model.onnx``, with the
        tokenizer of its export folder (:func:`~jtcse.modeling.folders.onnx_export_folder`).
        Raises FileNotFoundError for a missing file and ValueError for a file that ONNX
        Runtime cannot read as a model."""
        path = Path(path)
        if path.is_dir():
            path = path / ONNX_MODEL_FILE
        check_model_file(path)
        try:
            session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        except (InvalidProtobuf, InvalidGraph, Fail) as error:
            raise ValueError(f"{path}: not an ONNX model ({error})") from error
        if OUTPUT_NAME not in {output.name for output in session.get_outputs()}:
            raise ValueError(f"{path}: no output {OUTPUT_NAME!r}; not a jtcse export")
        folder = onnx_export_folder(path)
        return cls(session, *export_tokenizer(folder), folder)

    @property
    def dimension(self) -> int:
        """Size of one embedding vector (the static width of ``sentence_embedding``)."""
        (output,) = [out for out in self.session.get_outputs() if out.name == OUTPUT_NAME]
        return int(output.shape[1])

    def cache_identities(self) -> list[dict[str, Any]] | None:
        if self.source is None:
            return None
        return [
            {
                "onnx_export": remembered_folder_digest(self.source),
                "max_length": self.max_length,
            }
        ]

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        feed = int64_feed(batch, self.input_names)
        return torch.from_numpy(self.session.run([OUTPUT_NAME], feed)[0])


def export_tokenizer(folder: Path) -> tuple[PreTrainedTokenizerBase, int]:
    """The tokenizer of an export folder and the length it truncates at (the smaller of the
    exported model's position table and the tokenizer's ``model_max_length``)."""
    tokenizer = AutoTokenizer.from_pretrained(folder)
    positions = read_metadata(folder).get("max_position_embeddings", tokenizer.model_max_length)
    return tokenizer, max_tokens(positions, tokenizer)


def int64_feed(batch: dict[str, torch.Tensor], names: list[str]) -> dict[str, np.ndarray]:
    """The model inputs ``names`` of a tokenised batch as int64 arrays, as the export takes."""
    return {name: batch[name].numpy().astype(np.int64) for name in names}


def check_model_file(path: Path) -> None:
    """Raise FileNotFoundError naming ``path`` when it is not a file."""
    if not path.is_file():
        raise FileNotFoundError(f"ONNX model not found: {path}")


def read_metadata(folder: Path) -> dict[str, object]:
    """The export metadata in ``folder``, or an empty dict when there is none."""
    path = folder / METADATA_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
