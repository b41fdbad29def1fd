"""The argument checks every loss shares (jtcse.losses.shapes): a bad input names its argument."""

from __future__ import annotations

import pytest
import torch

from jtcse.losses import (
    cosine_logits,
    cross_info_nce,
    distillation_loss,
    info_nce,
    modulus_distance,
    modulus_loss,
)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: info_nce(torch.randn(7, 4)), "embeddings"),
        (lambda: info_nce(torch.randn(8)), "embeddings"),
        (lambda: info_nce(torch.randn(0, 4)), "embeddings"),
        (lambda: info_nce(torch.randn(8, 4), temperature=0.0), "temperature"),
        (lambda: cross_info_nce(torch.randn(8, 4), torch.randn(6, 4)), "candidates"),
        (lambda: cross_info_nce(torch.randn(5, 4), torch.randn(5, 4)), "anchors"),
        (lambda: cosine_logits(torch.randn(8, 4), torch.randn(8, 5)), "candidates"),
        (lambda: cosine_logits(torch.randn(8, 4), torch.randn(6, 4)), "mask_diagonal"),
        (
            lambda: cosine_logits(torch.randn(8, 4), torch.randn(8, 4).bfloat16()),
            "candidates",
        ),
        (lambda: modulus_distance(torch.randn(4, 3), torch.randn(4, 2)), "h_pos"),
        (
            lambda: modulus_loss(*[torch.randn(6, 4)] * 3, torch.randn(6, 5)),
            "pooled_b",
        ),
        (
            lambda: modulus_loss(torch.randn(6, 4), torch.randn(4, 4), *[torch.randn(6, 4)] * 2),
            "cls_b",
        ),
        (lambda: modulus_loss(*[torch.randn(5, 4)] * 4), "cls_a"),
        (
            lambda: modulus_loss(*[torch.randn(6, 4)] * 2, *[torch.randn(4, 4)] * 2),
            "pooled_a",
        ),
        (
            lambda: modulus_loss(*[torch.randn(6, 4)] * 4, negative_cosine_floor=0.0),
            "negative_cosine_floor",
        ),
        (lambda: distillation_loss(torch.randn(4, 3), torch.randn(5, 3)), "student"),
        (
            lambda: distillation_loss(torch.randn(4, 3), torch.randn(4, 3), 1.5),
            "weight_contrastive",
        ),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()
