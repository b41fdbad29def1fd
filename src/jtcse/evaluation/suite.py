"""Evaluate several named encoders on STS and collect one results table.

Every distinct sentence of the evaluation is encoded once per model: the specs are planned
first, so that one forward pass of a model (at one precision) gives every pooling that any
spec needs of it; an ensemble is the (weighted) sum of its members' rows, so a UC ensemble
reuses the rows of the pair and of the external model alone; and with an
:class:`~jtcse.encoding.cache.EmbeddingCache` a model that did not change is not encoded
again at all (a rerun after only the student changed encodes only the student).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from jtcse.encoding import CoupledTwinEncoder, load_member, per_model
from jtcse.encoding.cache import EmbeddingCache
from jtcse.evaluation.sts import StsResult, evaluate_sts, evaluation_pairs
from jtcse.modeling.pooling import check_pooling
from jtcse.modeling.precision import resolve_bf16
from jtcse.modeling.uc_ensemble import UcEnsemble
from jtcse.parameters import build_settings

SPEC_KEYS = {"models", "pooling", "coupled", "bf16", "weights", "uc"}


@dataclass(frozen=True)
class EncoderSpec:
    """One row of the results: ``models`` (folders, Hub ids, aliases; several are summed, or
    weighted by ``weights``), their ``pooling`` (one for all, or one per model), ``bf16``
    weights, or the two towers ``coupled`` by cross-attention."""

    models: tuple[str, ...]
    pooling: str | tuple[str, ...] = "cls"
    bf16: bool = False
    coupled: bool = False
    weights: tuple[float, ...] | None = None

    def poolings(self) -> list[str]:
        """The pooling of each model."""
        return per_model(self.pooling, len(self.models), "pooling")

    def member_weights(self) -> list[float]:
        """The weight of each model (1 each when none are given)."""
        return [1.0] * len(self.models) if self.weights is None else list(self.weights)

    @classmethod
    def from_parameters(
        cls,
        name: str,
        spec: Mapping[str, Any],
        bf16: bool | str,
        model_folders: Mapping[str, str],
    ) -> EncoderSpec:
        """``evaluation.encoders.<name>``; a model named in ``model_folders`` (a catalog
        dataset such as ``tower_1``) is replaced by its folder. A spec with ``uc`` (the
        :class:`~jtcse.modeling.uc_ensemble.UcEnsemble` fields) mixes its ``models`` (the
        pair, [CLS]) with the external model: weights 1 - w each and w."""
        where = f"evaluation.encoders.{name}"
        unknown = set(spec) - SPEC_KEYS
        if unknown or "models" not in spec:
            raise ValueError(
                f"{where}: expected keys 'models' and optional 'pooling', 'weights', 'uc', "
                f"'coupled', 'bf16'; got {sorted(spec)}"
            )
        models, pooling, weights = list(spec["models"]), spec.get("pooling", "cls"), None
        if spec.get("weights") is not None:
            weights = tuple(float(weight) for weight in spec["weights"])
        if spec.get("uc") is not None:
            if "pooling" in spec or "weights" in spec:
                raise ValueError(f"{where}: 'uc' sets the poolings and weights; give neither")
            uc = build_settings(UcEnsemble, spec["uc"], f"{where}.uc")
            models, poolings, uc_weights = uc.members(models)
            pooling, weights = tuple(poolings), tuple(uc_weights)
        if not isinstance(pooling, str):
            pooling = tuple(pooling)
        parsed = cls(
            tuple(str(model_folders.get(model, model)) for model in models),
            pooling,
            resolve_bf16(spec.get("bf16", bf16), f"{where}.bf16"),
            spec.get("coupled", False),
            weights,
        )
        try:
            for model_pooling in parsed.poolings():
                check_pooling(model_pooling)
            if len(parsed.member_weights()) != len(parsed.models):
                raise ValueError(f"{len(weights or ())} weights for {len(models)} models")
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None
        if parsed.coupled and (len(models) != 2 or parsed.pooling != "cls" or weights):
            raise ValueError(
                f"{where}: a coupled encoder needs exactly two tower folders, cls pooling "
                "and no weights"
            )
        return parsed


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
    names = (models,) if isinstance(models, str) else tuple(str(model) for model in models)
    spec = EncoderSpec(names, pooling, bf16, coupled)
    return evaluate_encoders(table, {"encoder": vars(spec)}, bf16, batch_size, cache=cache)[
        "encoder"
    ]


def evaluate_encoders(
    table: pd.DataFrame,
    encoders: Mapping[str, Mapping[str, Any]],
    bf16: bool = False,
    batch_size: int = 128,
    model_folders: Mapping[str, str] | None = None,
    cache: EmbeddingCache | None = None,
) -> dict[str, StsResult]:
    """Evaluate each named encoder spec ``{"models": [...], "pooling": "cls", "coupled": false,
    "bf16": ...}`` (a spec's ``bf16`` overrides the default ``bf16``; ONNX exports need false).

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
    encoders: Mapping[str, Mapping[str, Any]],
    bf16: bool = False,
    batch_size: int = 128,
    model_folders: Mapping[str, str] | None = None,
    cache: EmbeddingCache | None = None,
) -> dict[str, np.ndarray]:
    """Each named encoder spec's embeddings of ``sentences`` (row i: sentence i), as
    :func:`evaluate_encoders` reads its specs; summed specs share their members' rows."""
    specs = {
        name: EncoderSpec.from_parameters(name, spec, bf16, model_folders or {})
        for name, spec in encoders.items()
    }
    rows = _member_rows(specs.values(), sentences, batch_size, cache)
    embeddings = {}
    for name, spec in specs.items():
        if spec.coupled:
            encoder = CoupledTwinEncoder.load(*spec.models, bf16=spec.bf16)
            embeddings[name] = encoder.encode(
                sentences, batch_size, show_progress=True, cache=cache
            )
        else:
            members = zip(spec.models, spec.poolings(), spec.member_weights(), strict=True)
            embeddings[name] = sum(
                np.float32(weight) * rows[(model, spec.bf16, pooling)]
                for model, pooling, weight in members
            )
    return embeddings


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


def _member_rows(
    specs: Iterable[EncoderSpec],
    sentences: list[str],
    batch_size: int,
    cache: EmbeddingCache | None,
) -> dict[tuple[str, bool, str], np.ndarray]:
    """The rows of every (model, bf16, pooling) that the summed specs use: one load and one
    forward pass per (model, bf16), however many poolings and specs use it."""
    poolings: dict[tuple[str, bool], list[str]] = {}
    for spec in specs:
        if not spec.coupled:
            for model, pooling in zip(spec.models, spec.poolings(), strict=True):
                wanted = poolings.setdefault((model, spec.bf16), [])
                if pooling not in wanted:
                    wanted.append(pooling)
    rows = {}
    for (model, bf16), names in poolings.items():
        member = load_member(model, names, bf16)
        arrays = member.embed_outputs(sentences, batch_size, show_progress=True, cache=cache)
        rows.update({(model, bf16, name): array for name, array in zip(names, arrays, strict=True)})
    return rows


def row_lookup(
    sentences: list[str], embeddings: np.ndarray
) -> Callable[[Sequence[str]], np.ndarray]:
    """An ``encode`` function (for :func:`evaluate_sts` or
    :func:`~jtcse.evaluation.sts.scored_pairs`) that reads precomputed rows, row i for
    ``sentences[i]``."""
    row_of = pd.Series(np.arange(len(sentences)), index=sentences)

    def encode(batch: Sequence[str]) -> np.ndarray:
        return embeddings[row_of[list(batch)].to_numpy()]

    return encode


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
