"""Encoders: sentences in, float32 embeddings out, row i for sentence i.

:mod:`~jtcse.encoding.base` writes ``encode()`` once; the backends supply their forward pass:
:mod:`~jtcse.encoding.pytorch` (one model, a summed ensemble, the coupled twin) and
:mod:`~jtcse.encoding.onnx_runtime` (an ONNX export) and :mod:`~jtcse.encoding.openvino_runtime`
(an OpenVINO export). :func:`load_encoder` picks the backend from a path;
:mod:`~jtcse.encoding.plan` loads named encoder specs together (the evaluations, the CLI).

Example:
    >>> encoder = load_encoder("data/06_models/student_onnx")
    >>> vectors = encoder.encode(["a man plays a guitar .", "a woman slices an onion ."])
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from jtcse.encoding.base import BaseEncoder, TokenizedEncoder, max_tokens, normalize_rows
from jtcse.encoding.pytorch import (
    CoupledTwinEncoder,
    Encoder,
    PooledModelEncoder,
    load_pooled_model,
)
from jtcse.modeling.folders import ONNX_MODEL_FILE, OPENVINO_MODEL_FILE, is_onnx_export

__all__ = [
    "BaseEncoder",
    "CoupledTwinEncoder",
    "Encoder",
    "PooledModelEncoder",
    "TokenizedEncoder",
    "load_encoder",
    "load_member",
    "load_pooled_model",
    "max_tokens",
    "normalize_rows",
]


def load_encoder(
    paths: str | Path | Sequence[str | Path],
    pooling: str | Sequence[str] = "cls",
    bf16: bool | str = False,
    weights: Sequence[float] | None = None,
) -> BaseEncoder:
    """Load an :class:`~jtcse.encoding.onnx_runtime.OnnxEncoder` for one ``.onnx`` file or one
    export folder (``onnx/model.onnx`` and no PyTorch weights), an
    :class:`~jtcse.encoding.openvino_runtime.OpenVinoEncoder` for one OpenVINO ``.xml`` file
    or export folder (``openvino/openvino_model.xml``); else an :class:`Encoder` (a
    model folder, Hub id or alias, or a list of them whose embeddings are summed, or weighted
    by ``weights``; ``pooling``: one for all models or one per model).

    An export computes the [CLS] embedding in the precision it was exported in (OpenVINO: its
    default inference precision for the CPU), so it takes only ``pooling="cls"`` and ``bf16``
    false or auto. ONNX Runtime or OpenVINO is imported only then.
    """
    if isinstance(paths, str | Path) and _names_export(Path(paths)) and weights is None:
        return load_member(paths, pooling, bf16)
    return Encoder.load(paths, pooling, bf16, weights)


def load_member(
    path: str | Path, poolings: str | Sequence[str] = "cls", bf16: bool | str = False
) -> TokenizedEncoder:
    """One model for encoding: an ONNX or OpenVINO export (see :func:`load_encoder`) or a
    PyTorch model with one or several poolings
    (:func:`~jtcse.encoding.pytorch.load_pooled_model`)."""
    if not _names_export(Path(path)):
        return load_pooled_model(path, poolings, bf16)
    if ([poolings] if isinstance(poolings, str) else list(poolings)) != ["cls"]:
        raise ValueError(f"an exported model supports only pooling='cls'; got {poolings!r}")
    if bf16 is True:
        raise ValueError(f"bf16 applies to PyTorch models, not to the export {path}")
    if _names_openvino_model(Path(path)):
        from jtcse.encoding.openvino_runtime import OpenVinoEncoder

        return OpenVinoEncoder.load(path)
    from jtcse.encoding.onnx_runtime import OnnxEncoder

    return OnnxEncoder.load(path)


def _names_export(path: Path) -> bool:
    return _names_onnx_model(path) or _names_openvino_model(path)


def _names_onnx_model(path: Path) -> bool:
    return path.suffix == Path(ONNX_MODEL_FILE).suffix or is_onnx_export(path)


def _names_openvino_model(path: Path) -> bool:
    return path.suffix == Path(OPENVINO_MODEL_FILE).suffix or is_onnx_export(
        path, OPENVINO_MODEL_FILE
    )
