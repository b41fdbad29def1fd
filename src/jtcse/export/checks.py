"""Export a trained encoder to ONNX and check it before anyone ships it.

Two gates, each failing with a ValueError that states the measured value and the threshold:

- parity of the fp32 export with PyTorch on real sentences of many lengths: the largest
  absolute difference of the [CLS] vectors and the smallest cosine between them;
- quality of the int8 copy: its STS-B dev Spearman x 100 may fall at most
  ``max_int8_dev_drop`` points below the PyTorch fp32 model's (dev only, never test).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from jtcse.encoding import Encoder
from jtcse.encoding.onnx_runtime import OnnxEncoder
from jtcse.evaluation.sts import DEV_KEY, dev_pairs, score_pairs
from jtcse.export.onnx import export_onnx, parity, quantize_int8
from jtcse.export.thresholds import ExportThresholds
from jtcse.modeling.folders import ONNX_MODEL_FILE


def parity_sentences(corpus: Sequence[str], count: int) -> list[str]:
    """The first ``count`` corpus sentences and the ``count`` longest: many lengths."""
    longest = sorted(corpus, key=len, reverse=True)[:count]
    return list(dict.fromkeys([*corpus[:count], *longest]))


def check_parity(
    report: dict[str, float], thresholds: ExportThresholds, path: Path, runtime: str
) -> None:
    """Raise ValueError naming ``runtime`` and ``path`` when the parity ``report``
    (:func:`~jtcse.export.onnx.compare_rows`) passes the limits of ``thresholds``."""
    if report["max_abs_difference"] > thresholds.max_abs_difference:
        raise ValueError(
            f"{runtime} parity failed for {path}: max abs difference "
            f"{report['max_abs_difference']:.2e} > {thresholds.max_abs_difference:.2e}"
        )
    if report["min_cosine"] < thresholds.min_cosine:
        raise ValueError(
            f"{runtime} parity failed for {path}: min cosine {report['min_cosine']:.6f} < "
            f"{thresholds.min_cosine}"
        )


def export_and_check(
    model_folder: str | Path,
    onnx_dir: Path,
    int8_dir: Path,
    sentences: Sequence[str],
    sts_pairs: pd.DataFrame,
    thresholds: ExportThresholds,
) -> dict[str, float]:
    """Export ``model_folder`` to ``onnx_dir`` and an int8 copy to ``int8_dir``; check both.

    Returns the measured values (parity, STS-B dev of fp32 PyTorch and int8 ONNX) with the
    thresholds, for the export report.
    """
    onnx_path = export_onnx(model_folder, Path(onnx_dir), thresholds.opset)
    limits = {
        f"{name}_limit": value for name, value in asdict(thresholds).items() if name != "opset"
    }
    report = {
        **parity(model_folder, onnx_path, list(sentences)),
        **limits,
        "opset": thresholds.opset,
    }
    check_parity(report, thresholds, onnx_path, "ONNX")
    int8_path = quantize_int8(onnx_path, Path(int8_dir) / ONNX_MODEL_FILE)
    pairs = dev_pairs(sts_pairs)
    report["dev_fp32"] = score_pairs(pairs, Encoder.load(model_folder).encode)[DEV_KEY]
    report["dev_int8"] = score_pairs(pairs, OnnxEncoder.load(int8_path).encode)[DEV_KEY]
    drop = report["dev_fp32"] - report["dev_int8"]
    if drop > thresholds.max_int8_dev_drop:
        raise ValueError(
            f"int8 quality check failed for {int8_path}: STS-B dev {report['dev_int8']:.2f} is "
            f"{drop:.2f} points below fp32 ({report['dev_fp32']:.2f}); limit "
            f"{thresholds.max_int8_dev_drop}"
        )
    return report
