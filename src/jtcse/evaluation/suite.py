"""Evaluate several named encoders on STS and collect one results table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from jtcse.encoder import Encoder
from jtcse.evaluation.sts import StsResult, evaluate_sts


def evaluate_encoder(
    table: pd.DataFrame,
    models: str | Sequence[str],
    pooling: str = "cls",
    bf16: bool = False,
    batch_size: int = 128,
) -> StsResult:
    """Load an encoder (one model, or several summed) and evaluate it on ``table``."""
    encoder = Encoder.load(models, pooling=pooling, bf16=bf16)
    return evaluate_sts(
        table, lambda sentences: encoder.encode(sentences, batch_size, show_progress=True)
    )


def evaluate_encoders(
    table: pd.DataFrame,
    encoders: Mapping[str, Mapping[str, Any]],
    bf16: bool = False,
    batch_size: int = 128,
) -> dict[str, StsResult]:
    """Evaluate each named encoder spec ``{"models": [...], "pooling": "cls"}``."""
    results = {}
    for name, spec in encoders.items():
        unknown = set(spec) - {"models", "pooling"}
        if unknown or "models" not in spec:
            raise ValueError(
                f"evaluation.encoders.{name}: expected keys 'models' and optional 'pooling', "
                f"got {sorted(spec)}"
            )
        results[name] = evaluate_encoder(
            table, list(spec["models"]), spec.get("pooling", "cls"), bf16, batch_size
        )
    return results


def results_as_records(results: Mapping[str, StsResult]) -> dict[str, dict[str, float | None]]:
    """JSON-ready scores: per encoder, the seven tasks, avg and STS-B dev (two decimals)."""
    return {
        name: {**result.rounded(), "STSBenchmark-dev": _round(result.dev)}
        for name, result in results.items()
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
