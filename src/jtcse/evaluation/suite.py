"""Evaluate several named encoders on STS and collect one results table.

Every distinct sentence of the evaluation is encoded once per model: the specs are loaded
together (:func:`~jtcse.encoding.plan.load_encoders`), so that one forward pass of a model (at
one precision) gives every pooling that any spec needs of it; an ensemble is the (weighted)
sum of its members' rows, so a UC ensemble reuses the rows of the pair and of the external
model alone; and with an :class:`~jtcse.encoding.cache.EmbeddingCache` a model that did not
change is not encoded again at all (a rerun after only the student changed encodes only the
student).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from jtcse.encoding.cache import EmbeddingCache
from jtcse.encoding.plan import load_encoders
from jtcse.evaluation.specs import EncoderSpec, parse_specs
from jtcse.evaluation.sts import EncodeFn, StsResult, evaluate_sts, evaluation_pairs


def evaluate_encoder(
    table: pd.DataFrame,
    models: str | Sequence[str],
    pooling: str = "cls",
    bf16: bool = False,
    batch_size: int = 128,
    coupled: bool = False,
    cache: EmbeddingCache | None = None,
) -> StsResult:
    """Evaluate one encoder (one model, several summed, an ONNX export, or coupled towers)."""
    names = [models] if isinstance(models, str) else [str(model) for model in models]
    spec = {"models": names, "pooling": pooling, "bf16": bf16, "coupled": coupled}
    return evaluate_encoders(table, {"encoder": spec}, bf16, batch_size, cache=cache)["encoder"]


def evaluate_encoders(
    table: pd.DataFrame,
    encoders: Mapping[str, Mapping[str, Any] | EncoderSpec],
    bf16: bool | str = False,
    batch_size: int = 128,
    model_folders: Mapping[str, str] | None = None,
    cache: EmbeddingCache | None = None,
) -> dict[str, StsResult]:
    """Evaluate each named encoder spec ``{"models": [...], "pooling": "cls", "coupled": false,
    "bf16": ...}`` or :class:`~jtcse.evaluation.specs.EncoderSpec` (a spec's ``bf16`` overrides
    the default ``bf16``; ONNX exports need false).

    A model named in ``model_folders`` (a catalog dataset such as ``tower_1``) is replaced by
    its folder; any other name is a folder, Hub id or alias.
    """
    sentences = evaluation_sentences(table)
    embeddings = encoder_embeddings(sentences, encoders, bf16, batch_size, model_folders, cache)
    return {
        name: evaluate_sts(table, row_lookup(sentences, rows)) for name, rows in embeddings.items()
    }


def encoder_embeddings(
    sentences: list[str],
    encoders: Mapping[str, Mapping[str, Any] | EncoderSpec],
    bf16: bool | str = False,
    batch_size: int = 128,
    model_folders: Mapping[str, str] | None = None,
    cache: EmbeddingCache | None = None,
) -> dict[str, np.ndarray]:
    """Each named encoder spec's embeddings of ``sentences`` (row i: sentence i), as
    :func:`evaluate_encoders` reads its specs; summed specs share their members' rows."""
    loaded = load_encoders(parse_specs(encoders, bf16, model_folders))
    return {
        name: encoder.encode(sentences, batch_size, show_progress=True, cache=cache)
        for name, encoder in loaded.items()
    }


def evaluation_sentences(table: pd.DataFrame) -> list[str]:
    """The distinct sentences of the scored pairs, in first-seen order (what is encoded)."""
    pairs = evaluation_pairs(table)
    return list(pd.unique(pd.concat([pairs["sentence1"], pairs["sentence2"]])))


def results_as_records(results: Mapping[str, StsResult]) -> dict[str, dict[str, float | None]]:
    """JSON-ready scores: per encoder, the seven tasks, avg and STS-B dev (two decimals)."""
    return {
        name: {**result.rounded(), "STSBenchmark-dev": _round(result.dev)}
        for name, result in results.items()
    }


def row_lookup(sentences: list[str], embeddings: np.ndarray) -> EncodeFn:
    """An ``encode`` function (for :func:`evaluate_sts` or
    :func:`~jtcse.evaluation.sts.scored_pairs`) that reads precomputed rows, row i for
    ``sentences[i]``."""
    row_of = pd.Series(np.arange(len(sentences)), index=sentences)

    def encode(batch: Sequence[str]) -> np.ndarray:
        return embeddings[row_of[list(batch)].to_numpy()]

    return encode


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
