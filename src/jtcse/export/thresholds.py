"""The limits of the export checks (:mod:`jtcse.export.checks`), apart from them: the
parameters (``onnx_export.thresholds``) are checked against these fields before any run
starts, without importing the export's runtimes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExportThresholds:
    """Limits of the export checks (differences in embedding units, drops in Spearman x 100)."""

    max_abs_difference: float = 1e-3
    min_cosine: float = 0.9999
    max_int8_dev_drop: float = 0.3
    opset: int = 17

    def __post_init__(self) -> None:
        if self.max_abs_difference <= 0 or not 0 < self.min_cosine <= 1:
            raise ValueError("max_abs_difference must be > 0 and min_cosine in (0, 1]")
        if self.max_int8_dev_drop < 0:
            raise ValueError(f"max_int8_dev_drop must be >= 0; got {self.max_int8_dev_drop}")
