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


def _matrix(rows: int, hidden: int) -> torch.Tensor:
    return torch.randn(rows, hidden)


EVEN = "must have an even number of rows (two views per sentence), got"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: cosine_logits(torch.randn(8), _matrix(8, 4)),
            "anchors must be a [rows, hidden] matrix, got shape (8,)",
        ),
        (
            lambda: cosine_logits(_matrix(8, 4), torch.randn(8)),
            "candidates must be a [rows, hidden] matrix, got shape (8,)",
        ),
        (
            lambda: cosine_logits(_matrix(8, 4), _matrix(0, 4)),
            "candidates must have at least one row, got shape (0, 4)",
        ),
        (
            lambda: cosine_logits(_matrix(8, 4), _matrix(6, 4)),
            "mask_diagonal needs as many candidates as anchors (8), got 6",
        ),
        (lambda: info_nce(_matrix(7, 4)), f"embeddings {EVEN} 7 rows"),
        (lambda: cross_info_nce(_matrix(5, 4), _matrix(5, 4)), f"anchors {EVEN} 5 rows"),
        (
            lambda: cross_info_nce(_matrix(8, 4), _matrix(6, 4)),
            "candidates must have the shape of anchors (8, 4), got (6, 4)",
        ),
        (
            lambda: modulus_distance(torch.randn(4), torch.randn(4)),
            "h must be a [rows, hidden] matrix, got shape (4,)",
        ),
        (
            lambda: modulus_distance(_matrix(4, 3), _matrix(4, 2)),
            "h_pos must have the shape of h (4, 3), got (4, 2)",
        ),
        (lambda: modulus_loss(*[_matrix(5, 4)] * 4), f"cls_a {EVEN} 5 rows"),
        (
            lambda: modulus_loss(_matrix(6, 4), _matrix(4, 4), _matrix(6, 4), _matrix(6, 4)),
            "cls_b must have the shape of cls_a (6, 4), got (4, 4)",
        ),
        (
            lambda: modulus_loss(_matrix(6, 4), _matrix(6, 4), _matrix(5, 3), _matrix(5, 3)),
            f"pooled_a {EVEN} 5 rows",
        ),
        (
            lambda: modulus_loss(_matrix(6, 4), _matrix(6, 4), _matrix(4, 3), _matrix(4, 3)),
            "pooled_a must have the rows of cls_a (6), got 4",
        ),
        (
            lambda: modulus_loss(_matrix(6, 4), _matrix(6, 4), _matrix(6, 3), _matrix(6, 5)),
            "pooled_b must have the shape of pooled_a (6, 3), got (6, 5)",
        ),
        (
            lambda: modulus_loss(*[_matrix(6, 4)] * 4, negative_cosine_floor=1.5),
            "negative_cosine_floor must be in (0, 1], got 1.5",
        ),
        (
            lambda: distillation_loss(torch.randn(4), torch.randn(4)),
            "teacher must be a [rows, hidden] matrix, got shape (4,)",
        ),
        (
            lambda: distillation_loss(_matrix(4, 3), _matrix(5, 3)),
            "student must have the shape of teacher (4, 3), got (5, 3)",
        ),
    ],
)
def test_bad_input_raises_the_whole_message(call, message):
    with pytest.raises(ValueError) as error:
        call()
    assert str(error.value) == message


def test_a_cosine_floor_of_one_is_allowed():
    cls_a, cls_b = _matrix(6, 4), _matrix(6, 4)
    pooled = _matrix(6, 3)
    loss = modulus_loss(cls_a, cls_b, pooled, -pooled, negative_cosine_floor=1.0)
    assert loss.item() == pytest.approx(0.0, abs=1e-7)  # -log(1) = 0 for every sentence
