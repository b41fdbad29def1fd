"""Evaluate several named encoders on STS and collect one results table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from jtcse.encoding import CoupledTwinEncoder, load_encoder
from jtcse.evaluation.sts import StsResult, evaluate_sts

SPEC_KEYS = {"models", "pooling", "coupled", "bf16"}


def evaluate_encoder(
    table: pd.DataFrame,
    models: str | Sequence[str],
    pooling: str = "cls",
    bf16: bool = False,
    batch_size: int = 128,
    coupled: bool = False,
) -> StsResult:
    """Load an encoder (one model, or several summed, or an ONNX export) and evaluate it.

    With ``coupled`` the two ``models`` are jointly trained towers run together with the
    cross-attention recorded in their config (e = h1_CLS + h2_CLS).
    """
    if coupled:
        if len(models) != 2 or pooling != "cls":
            raise ValueError("a coupled encoder needs exactly two tower folders and cls pooling")
        encoder = CoupledTwinEncoder.load(*models, bf16=bf16)
    else:
        encoder = load_encoder(models[0] if len(models) == 1 else models, pooling, bf16)
    return evaluate_sts(
        table, lambda sentences: encoder.encode(sentences, batch_size, show_progress=True)
    )


def evaluate_encoders(
    table: pd.DataFrame,
    encoders: Mapping[str, Mapping[str, Any]],
    bf16: bool = False,
    batch_size: int = 128,
    model_folders: Mapping[str, str] | None = None,
) -> dict[str, StsResult]:
    """Evaluate each named encoder spec ``{"models": [...], "pooling": "cls", "coupled": false,
    "bf16": ...}`` (a spec's ``bf16`` overrides the default ``bf16``; ONNX exports need false).

    A model named in ``model_folders`` (a catalog dataset such as ``tower_1``) is replaced by
    its folder; any other name is a folder, Hub id or alias.
    """
    model_folders = model_folders or {}
    results = {}
    for name, spec in encoders.items():
        unknown = set(spec) - SPEC_KEYS
        if unknown or "models" not in spec:
            raise ValueError(
                f"evaluation.encoders.{name}: expected keys 'models' and optional 'pooling', "
                f"'coupled', 'bf16'; got {sorted(spec)}"
            )
        models = [model_folders.get(model, model) for model in spec["models"]]
        results[name] = evaluate_encoder(
            table,
            models,
            spec.get("pooling", "cls"),
            spec.get("bf16", bf16),
            batch_size,
            coupled=spec.get("coupled", False),
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
