"""The tensor-modulus distance and the ICTM term (jtcse.losses.modulus) against the references."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from jtcse.losses import (
    modulus_distance,
    modulus_loss,
)
from tests.fixtures.losses import (
    HIDDEN,
    ROWS,
    reference_modulus_distance,
    reference_modulus_loss,
    tower_outputs,
)


@pytest.mark.parametrize("seed", [0, 1])
def test_modulus_loss_matches_reference(seed):
    cls_a, cls_b, pooled_a, pooled_b = tower_outputs(seed)
    expected = reference_modulus_loss(cls_a, cls_b, pooled_a, pooled_b)
    result = modulus_loss(cls_a, cls_b, pooled_a, pooled_b).item()
    assert result == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_modulus_loss_pairs_even_rows_of_a_with_odd_rows_of_b():
    cls_a, cls_b, pooled_a, pooled_b = tower_outputs(3)
    forward = modulus_loss(cls_a, cls_b, pooled_a, pooled_b).item()
    backward = modulus_loss(cls_b, cls_a, pooled_b, pooled_a).item()
    assert backward == pytest.approx(reference_modulus_loss(cls_b, cls_a, pooled_b, pooled_a))
    assert forward != pytest.approx(backward, rel=1e-3)


def test_modulus_distance_identity():
    generator = torch.Generator().manual_seed(11)
    h = torch.randn(16, HIDDEN, generator=generator)
    scales = torch.linspace(0.1, 5.0, 16)[:, None]
    h_pos = scales * (h + torch.randn(16, HIDDEN, generator=generator))
    distances = modulus_distance(h, h_pos)
    assert distances.shape == (16,)
    for row in range(16):
        expected = reference_modulus_distance(h[row], h_pos[row])
        assert distances[row].item() == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_modulus_distance_is_zero_only_for_equal_vectors():
    generator = torch.Generator().manual_seed(12)
    h = torch.randn(4, HIDDEN, generator=generator)
    assert torch.equal(modulus_distance(h, h.clone()), torch.zeros(4))
    # same direction, other modulus: k = 2, t = 1 gives 1 / 3
    torch.testing.assert_close(modulus_distance(h, 2 * h), torch.full((4,), 1 / 3))
    # same modulus, other direction
    rotated = h.roll(1, dims=1)
    assert (modulus_distance(h, rotated) > 0).all()
    # opposite vectors are at the maximum, 1
    torch.testing.assert_close(modulus_distance(h, -h), torch.ones(4))


def test_modulus_loss_floors_negative_cosines():
    cls_a, _, pooled_a, pooled_b = tower_outputs(13)
    cls_b = torch.empty_like(cls_a)
    cls_b[1::2] = -cls_a[0::2]  # c_m = -1 for every sentence
    cls_b[0::2] = cls_a[1::2]  # unused rows
    weights = [
        ((pooled_a[i] - pooled_b[i + 1]).norm() / (pooled_a[i].norm() + pooled_b[i + 1].norm())) / 2
        for i in range(0, ROWS, 2)
    ]
    for floor in (1e-4, 1e-2):
        expected = -math.log(floor) * sum(w.item() for w in weights) / len(weights)
        result = modulus_loss(cls_a, cls_b, pooled_a, pooled_b, negative_cosine_floor=floor)
        assert result.item() == pytest.approx(expected, rel=1e-5)


def test_modulus_loss_floors_zero_and_tiny_positive_cosines():
    # c = 0 (orthogonal) and 0 < c < floor both use the floor: finite, equal to the c < 0 case.
    cls_a = torch.zeros(4, 3)
    cls_a[0::2, 0] = 1.0
    orthogonal = torch.zeros(4, 3)
    orthogonal[1::2, 1] = 1.0
    tiny_positive = orthogonal.clone()
    tiny_positive[1::2, 0] = 1e-6  # cos ~ 1e-6 < 1e-4
    negative = orthogonal.clone()
    negative[1::2, 0] = -1.0
    pooled_a, pooled_b = torch.ones(4, 3), -torch.ones(4, 3)  # M_m = 1 / 2
    expected = -math.log(1e-4) / 2
    for cls_b in (orthogonal, tiny_positive, negative):
        result = modulus_loss(cls_a, cls_b, pooled_a, pooled_b)
        assert result.item() == pytest.approx(expected, rel=1e-5)


def test_floored_cosine_passes_no_gradient_to_cls():
    cls_a, cls_b, pooled_a, pooled_b = tower_outputs(14)
    cls_a.requires_grad_()
    pooled_a.requires_grad_()
    modulus_loss(cls_a, cls_b, pooled_a, pooled_b).backward()
    cosines = F.cosine_similarity(cls_a[0::2].detach(), cls_b[1::2], dim=-1)
    assert (cosines < 0).any() and (cosines > 1e-4).any()
    grad_norms = cls_a.grad[0::2].norm(dim=-1)
    assert (grad_norms[cosines < 0] == 0).all()
    assert (grad_norms[cosines > 1e-4] > 0).all()
    assert (pooled_a.grad[0::2].norm(dim=-1) > 0).all()
