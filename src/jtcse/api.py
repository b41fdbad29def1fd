"""Load a trained encoder, PyTorch or ONNX, from its path.

Example:
    >>> encoder = load_encoder("data/06_models/onnx/model.onnx")
    >>> vectors = encoder.encode(["a man plays a guitar .", "a woman slices an onion ."])
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from jtcse.encoder import Encoder

if TYPE_CHECKING:
    from jtcse.export.onnx import OnnxEncoder

ONNX_MODEL_FILE = "model.onnx"  # the file name export_onnx writes


def load_encoder(
    paths: str | Path | Sequence[str | Path], pooling: str = "cls", bf16: bool = False
) -> Encoder | OnnxEncoder:
    """Load an :class:`OnnxEncoder` for one ``.onnx`` file or one folder holding
    ``model.onnx`` and no ``config.json``; else an :class:`Encoder` (a model folder, Hub id or
    alias, or a list of them whose embeddings are summed).

    An ONNX export computes the [CLS] embedding in the precision it was exported in, so it
    takes only ``pooling="cls"`` and ``bf16=False``. ONNX Runtime is imported only then.
    """
    if isinstance(paths, str | Path) and _names_onnx_model(Path(paths)):
        from jtcse.export.onnx import OnnxEncoder

        if pooling != "cls":
            raise ValueError(f"an ONNX export supports only pooling='cls'; got {pooling!r}")
        if bf16:
            raise ValueError(f"bf16 applies to PyTorch models, not to the ONNX export {paths}")
        return OnnxEncoder.load(paths)
    return Encoder.load(paths, pooling, bf16)


def _names_onnx_model(path: Path) -> bool:
    if path.suffix == ".onnx":
        return True
    return (path / ONNX_MODEL_FILE).is_file() and not (path / "config.json").is_file()
