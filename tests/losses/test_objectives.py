"""The complete objectives (jtcse.losses.objectives) against the references, and what every loss
shares: bf16 inputs computed in float32, gradients through every input."""

from __future__ import annotations

import pytest
import torch

from jtcse.losses import (
    cross_info_nce,
    distillation_loss,
    distillation_terms,
    info_nce,
    joint_loss,
    modulus_loss,
)
from jtcse.modeling.twin_tower import TwinTowerOutput
from jtcse.training.settings import DistillationSettings, JointSettings
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


def _twin_output(seed: int, intermediate: bool) -> TwinTowerOutput:
    cls_1, cls_2, pooled_1, pooled_2 = tower_outputs(seed)
    middle_1, middle_2 = tower_outputs(seed + 100)[:2] if intermediate else (None, None)
    return TwinTowerOutput(cls_1, cls_2, pooled_1, pooled_2, middle_1, middle_2)


def _reference_terms(output: TwinTowerOutput, anchor_tower: int, tau: float) -> dict[str, float]:
    cls = {1: output.cls_1, 2: output.cls_2}
    pooled = {1: output.pooled_1, 2: output.pooled_2}
    middle = {1: output.intermediate_cls_1, 2: output.intermediate_cls_2}
    a, b = anchor_tower, 3 - anchor_tower
    terms = {
        "nce": reference_info_nce(cls[1], tau) + reference_info_nce(cls[2], tau),
        "icnce": reference_cross_info_nce(cls[a], cls[b], tau),
        "ictm": reference_modulus_loss(cls[1], cls[2], pooled[1], pooled[2])
        + reference_modulus_loss(cls[2], cls[1], pooled[2], pooled[1]),
    }
    if middle[a] is not None:
        terms["icnce_intermediate"] = reference_cross_info_nce(middle[a], middle[b], tau)
    return terms


WEIGHTS = {"nce": 0.5, "icnce": 2.0, "icnce_intermediate": 3.0, "ictm": 0.25}


@pytest.mark.parametrize("anchor_tower", [1, 2])
@pytest.mark.parametrize("intermediate", [True, False])
def test_joint_loss_is_the_weighted_sum_of_the_reference_terms(anchor_tower, intermediate):
    output = _twin_output(21, intermediate)
    settings = JointSettings(
        num_cross_attention_layers=1 if intermediate else 0,
        temperature=0.2,
        **{f"weight_{name}": weight for name, weight in WEIGHTS.items()},
    )
    expected = _reference_terms(output, anchor_tower, 0.2)

    terms = joint_loss(output, settings, anchor_tower)

    assert set(terms) == {"loss", *expected}
    for name, value in expected.items():
        assert terms[name].item() == pytest.approx(value, rel=1e-5), name
    total = sum(WEIGHTS[name] * value for name, value in expected.items())
    assert terms["loss"].item() == pytest.approx(total, rel=1e-5)


def test_the_anchor_tower_sets_the_direction_of_the_cross_terms():
    output = _twin_output(22, intermediate=True)
    one = joint_loss(output, JointSettings(), 1)
    two = joint_loss(output, JointSettings(), 2)
    for name in ("icnce", "icnce_intermediate"):
        assert one[name].item() != pytest.approx(two[name].item(), rel=1e-3), name
    for name in ("nce", "ictm"):
        assert one[name].item() == pytest.approx(two[name].item(), rel=1e-6), name


@pytest.mark.parametrize("switched_off", list(WEIGHTS))
def test_a_zero_weight_term_is_reported_but_not_added(switched_off):
    output = _twin_output(23, intermediate=True)
    settings = JointSettings(**{f"weight_{switched_off}": 0.0})
    expected = _reference_terms(output, 1, settings.temperature)

    terms = joint_loss(output, settings, 1)

    assert terms[switched_off].item() == pytest.approx(expected[switched_off], rel=1e-5)
    assert terms[switched_off].item() > 0
    kept = sum(value for name, value in expected.items() if name != switched_off)
    assert terms["loss"].item() == pytest.approx(kept, rel=1e-5)


@pytest.mark.parametrize("anchor_tower", [0, 3, "1"])
def test_joint_loss_refuses_another_anchor_tower(anchor_tower):
    with pytest.raises(ValueError, match=f"anchor_tower must be 1 or 2; got {anchor_tower!r}"):
        joint_loss(_twin_output(24, intermediate=False), JointSettings(), anchor_tower)


def test_distillation_terms_are_the_reference_loss_and_its_two_detached_parts():
    generator = torch.Generator().manual_seed(25)
    teacher = torch.randn(5, HIDDEN, generator=generator)
    student = (teacher + 0.4 * torch.randn(5, HIDDEN, generator=generator)).requires_grad_()
    settings = DistillationSettings(weight_contrastive=0.3, temperature=0.1)

    terms = distillation_terms(teacher, student, settings)

    assert set(terms) == {"loss", "contrastive", "l1"}
    detached = student.detach()
    expected = {
        "loss": reference_distillation_loss(teacher, detached, 0.3, 0.1),
        "contrastive": reference_distillation_loss(teacher, detached, 1.0, 0.1),
        "l1": reference_distillation_loss(teacher, detached, 0.0, 0.1),
    }
    for name, value in expected.items():
        assert terms[name].item() == pytest.approx(value, rel=1e-5), name
    assert terms["loss"].requires_grad
    assert not terms["contrastive"].requires_grad and not terms["l1"].requires_grad


@pytest.mark.parametrize(("weight", "temperature"), [(0.5, 0.2), (0.5, None)])
def test_distillation_loss_passes_its_temperature_on(weight, temperature):
    generator = torch.Generator().manual_seed(26)
    teacher = torch.randn(5, HIDDEN, generator=generator)
    student = teacher + 0.4 * torch.randn(5, HIDDEN, generator=generator)
    options = {} if temperature is None else {"temperature": temperature}
    expected = reference_distillation_loss(teacher, student, weight, temperature or 0.05)
    result = distillation_loss(teacher, student, weight, **options).item()
    assert result == pytest.approx(expected, rel=1e-5)
