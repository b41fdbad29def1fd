"""The OpenVINO backend: encode with an OpenVINO export (:mod:`jtcse.export.openvino`).

An export folder holds ``openvino/openvino_model.xml`` and its ``.bin`` weights (the graph of
the ONNX export it was converted from: ``input_ids``, ``attention_mask`` int64 [batch,
sequence] -> ``last_hidden_state`` and ``sentence_embedding`` = h_CLS float32 [batch, hidden],
float32 weights or static int8), with that export's tokenizer and configuration files and
``export_metadata.json``. The model is compiled for the CPU with OpenVINO's default inference
precision (bf16 on a CPU with native bfloat16, f32 elsewhere) unless ``precision`` asks for
one; the precision it runs in is part of its embedding-cache identity. Imports OpenVINO, so
:func:`jtcse.encoding.load_encoder` imports this module only for such an export.

Example:
    >>> encoder = OpenVinoEncoder.load("data/06_models/student_openvino_int8")
    >>> vectors = encoder.encode(["a man plays a guitar .", "a woman slices an onion ."])
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import openvino
import torch
from transformers import PreTrainedTokenizerBase

from jtcse.encoding.base import TokenizedEncoder
from jtcse.encoding.onnx_runtime import OUTPUT_NAME, check_model_file, export_tokenizer, int64_feed
from jtcse.modeling.folders import (
    OPENVINO_MODEL_FILE,
    onnx_export_folder,
    remembered_folder_digest,
)

PRECISION_HINT = "INFERENCE_PRECISION_HINT"


def read_model(core: openvino.Core, path: Path, kind: str) -> openvino.Model:
    """``core.read_model(path)``; for a file OpenVINO cannot read, a ValueError on one line:
    ``path``, ``kind`` and the last line of OpenVINO's own (multi-line) message."""
    try:
        return core.read_model(str(path))
    except RuntimeError as error:
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        raise ValueError(f"{path}: not {kind} ({lines[-1] if lines else 'unreadable'})") from error


class OpenVinoEncoder(TokenizedEncoder):
    """Sentence encoder over an OpenVINO model compiled for the CPU, with the ``cls`` pooling
    its ONNX source was exported with."""

    def __init__(
        self,
        compiled: openvino.CompiledModel,
        tokenizer: PreTrainedTokenizerBase,
        max_length: int,
        source: Path | None = None,
    ) -> None:
        super().__init__(tokenizer, max_length)
        self.compiled = compiled
        self.request = compiled.create_infer_request()
        self.output = compiled.output(OUTPUT_NAME)
        self.input_names = [port.get_any_name() for port in compiled.inputs]
        self.source = source

    @classmethod
    def load(cls, path: str | Path, precision: str | None = None) -> OpenVinoEncoder:
        """Load an ``.xml`` model, or an export folder holding ``openvino/openvino_model.xml``,
        with the tokenizer of its folder, compiled for the CPU in OpenVINO's default inference
        precision or in ``precision`` (``"f32"``, ``"bf16"``). Raises FileNotFoundError for a
        missing file and ValueError for a file OpenVINO cannot read or that has no
        ``sentence_embedding`` output."""
        path = Path(path)
        if path.is_dir():
            path = path / OPENVINO_MODEL_FILE
        check_model_file(path)
        core = openvino.Core()
        model = read_model(core, path, "an OpenVINO model")
        if OUTPUT_NAME not in {name for port in model.outputs for name in port.get_names()}:
            raise ValueError(f"{path}: no output {OUTPUT_NAME!r}; not a jtcse export")
        config = {PRECISION_HINT: precision} if precision else {}
        compiled = core.compile_model(model, "CPU", config)
        folder = onnx_export_folder(path, OPENVINO_MODEL_FILE)
        return cls(compiled, *export_tokenizer(folder), folder)

    @property
    def dimension(self) -> int:
        """Size of one embedding vector (the static width of ``sentence_embedding``)."""
        return int(self.output.get_partial_shape()[1].get_length())

    @property
    def precision(self) -> str:
        """The inference precision the model was compiled in (``f32``, ``bf16``)."""
        return self.compiled.get_property(PRECISION_HINT).to_string()

    def cache_identities(self) -> list[dict[str, Any]] | None:
        if self.source is None:
            return None
        return [
            {
                "openvino_export": remembered_folder_digest(self.source),
                "inference_precision": self.precision,
                "max_length": self.max_length,
            }
        ]

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        outputs = self.request.infer(int64_feed(batch, self.input_names))
        # The request reuses its output buffer on the next call: copy the rows out.
        return torch.from_numpy(np.array(outputs[self.output]))
