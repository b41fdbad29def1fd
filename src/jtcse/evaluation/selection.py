"""Model selection on STS-B dev: the ``evaluate_fn`` of the training loop.

Only the STS-B **dev** split is scored here; test splits are never used for selection.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pandas as pd
import torch

from jtcse.evaluation.sts import DEV_KEY, dev_pairs, score_pairs
from jtcse.modeling.device import default_device
from jtcse.modeling.precision import resolve_bf16

if TYPE_CHECKING:
    from jtcse.encoding.base import BaseEncoder


def dev_scorer(
    sts_pairs: pd.DataFrame,
    make_encoder: Callable[[], BaseEncoder],
    bf16: bool | str = False,
    batch_size: int = 128,
) -> Callable[[], float]:
    """A function returning Spearman x 100 on STS-B dev of the encoder ``make_encoder()``.

    ``make_encoder`` is called at every evaluation, so it sees the current weights; with
    ``bf16`` (true, false or auto: :func:`~jtcse.modeling.precision.resolve_bf16`) the
    encoding runs under bf16 autocast.
    """
    pairs = dev_pairs(sts_pairs)
    bf16 = resolve_bf16(bf16, "training.bf16 (dev scoring)")

    def evaluate() -> float:
        encoder = make_encoder()
        with torch.autocast(default_device().type, dtype=torch.bfloat16, enabled=bf16):
            return score_pairs(pairs, lambda sentences: encoder.encode(sentences, batch_size))[
                DEV_KEY
            ]

    return evaluate
