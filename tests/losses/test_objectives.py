"""The complete objectives (jtcse.losses.objectives) against the references, and what every loss
shares: bf16 inputs computed in float32, gradients through every input."""

from __future__ import annotations

import pytest
import torch

from jtcse.losses import (
    cross_info_nce,
    distillation_loss,
    info_nce,
    modulus_loss,
)
from tests.fixtures.losses import (
    BF16_TOLERANCE,
    HIDDEN,
    TAU,
    reference_cross_info_nce,
    reference_distillation_loss,
    reference_info_nce,
    reference_modulus_loss,
    tower_outputs,
    two_view_rows,
)


@pytest.mark.parametrize("weight", [0.01, 0.0, 1.0, 0.5])
def test_distillation_loss_matches_reference(weight):
    generator = torch.Generator().manual_seed(4)
    teacher = torch.randn(5, HIDDEN, generator=generator)
    student = teacher + 0.4 * torch.randn(5, HIDDEN, generator=generator)
    expected = reference_distillation_loss(teacher, student, weight, TAU)
    result = distillation_loss(teacher, student, weight, TAU).item()
    assert result == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_losses_accept_bf16_and_match_references():
    views = two_view_rows(5).bfloat16()
    other = two_view_rows(6).bfloat16()
    cls_a, cls_b, pooled_a, pooled_b = (x.bfloat16() for x in tower_outputs(5))
    teacher, student = views[0::2], views[1::2]
    results = {
        "info_nce": (info_nce(views), reference_info_nce(views, TAU)),
        "cross_info_nce": (
            cross_info_nce(views, other),
            reference_cross_info_nce(views, other, TAU),
        ),
        "modulus_loss": (
            modulus_loss(cls_a, cls_b, pooled_a, pooled_b),
            reference_modulus_loss(cls_a, cls_b, pooled_a, pooled_b),
        ),
        "distillation_loss": (
            distillation_loss(teacher, student),
            reference_distillation_loss(teacher, student, 0.01, TAU),
        ),
    }
    for name, (result, expected) in results.items():
        assert torch.isfinite(result), name
        assert result.item() == pytest.approx(expected, **BF16_TOLERANCE), name


def test_bf16_inputs_are_computed_in_float32():
    # The documented contract: a bf16 input gives the float32 loss of its rounded values.
    views = two_view_rows(5).bfloat16()
    cls_a, cls_b, pooled_a, pooled_b = (x.bfloat16() for x in tower_outputs(5))
    pairs = [
        (info_nce(views), info_nce(views.float())),
        (
            cross_info_nce(views, views.flip(0)),
            cross_info_nce(views.float(), views.float().flip(0)),
        ),
        (
            modulus_loss(cls_a, cls_b, pooled_a, pooled_b),
            modulus_loss(cls_a.float(), cls_b.float(), pooled_a.float(), pooled_b.float()),
        ),
        (
            distillation_loss(views[0::2], views[1::2]),
            distillation_loss(views[0::2].float(), views[1::2].float()),
        ),
    ]
    for result, expected in pairs:
        assert result.dtype == torch.float32
        torch.testing.assert_close(result, expected, rtol=1e-6, atol=1e-6)


def test_bf16_gradients_are_finite_and_in_input_dtype():
    views = two_view_rows(8).bfloat16().requires_grad_()
    (info_nce(views) + cross_info_nce(views, views.flip(0))).backward()
    assert views.grad.dtype == torch.bfloat16
    assert torch.isfinite(views.grad).all()
    assert views.grad.abs().sum() > 0


def test_gradients_flow_through_every_loss():
    cls_a, cls_b, pooled_a, pooled_b = (x.requires_grad_() for x in tower_outputs(15))
    teacher = torch.randn(4, HIDDEN, requires_grad=True)
    student = torch.randn(4, HIDDEN, requires_grad=True)
    total = (
        info_nce(cls_a)
        + cross_info_nce(cls_a, cls_b)
        + modulus_loss(cls_a, cls_b, pooled_a, pooled_b)
        + distillation_loss(teacher, student)
    )
    total.backward()
    for name, tensor in [
        ("cls_a", cls_a),
        ("cls_b", cls_b),
        ("pooled_a", pooled_a),
        ("pooled_b", pooled_b),
        ("student", student),
    ]:
        assert torch.isfinite(tensor.grad).all(), name
        assert tensor.grad.abs().sum() > 0, name
    assert teacher.grad is None  # the teacher is a constant
