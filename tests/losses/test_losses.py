"""Tests of jtcse.losses against naive per-row references written from METHOD.md's formulas."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from jtcse.losses import (
    cosine_logits,
    cross_info_nce,
    distillation_loss,
    info_nce,
    modulus_distance,
    modulus_loss,
)

TAU = 0.05
ROWS, HIDDEN = 8, 32
BF16_TOLERANCE = {"rel": 2e-2, "abs": 2e-2}


def _cos(x: torch.Tensor, y: torch.Tensor) -> float:
    return F.cosine_similarity(x.double(), y.double(), dim=0).item()


def reference_cross_info_nce(anchors: torch.Tensor, candidates: torch.Tensor, tau: float) -> float:
    """mean_i -log(exp(s_i,pi(i)) / sum_{j != i} exp(s_ij)), s_ij = cos(a_i, b_j) / tau."""
    rows = anchors.shape[0]
    total = 0.0
    for i in range(rows):
        denominator = sum(
            math.exp(_cos(anchors[i], candidates[j]) / tau) for j in range(rows) if j != i
        )
        positive = _cos(anchors[i], candidates[i ^ 1]) / tau
        total += math.log(denominator) - positive
    return total / rows


def reference_info_nce(embeddings: torch.Tensor, tau: float) -> float:
    return reference_cross_info_nce(embeddings, embeddings, tau)


def reference_modulus_distance(h: torch.Tensor, h_pos: torch.Tensor) -> float:
    """sqrt(1 + k^2 - 2kt) / (1 + k), k = |h+| / |h|, t = cos(h, h+)."""
    k = h_pos.double().norm().item() / h.double().norm().item()
    t = _cos(h, h_pos)
    return math.sqrt(max(1 + k * k - 2 * k * t, 0.0)) / (1 + k)


def reference_modulus_loss(cls_a, cls_b, pooled_a, pooled_b, floor: float = 1e-4) -> float:
    total = 0.0
    sentences = cls_a.shape[0] // 2
    for m in range(sentences):
        i = 2 * m
        cosine = max(_cos(cls_a[i], cls_b[i + 1]), floor)
        p, p_pos = pooled_a[i].double(), pooled_b[i + 1].double()
        weight = ((p - p_pos).norm() / (p.norm() + p_pos.norm())).item() / 2
        total += -math.log(cosine) * weight
    return total / sentences


def reference_distillation_loss(teacher, student, k: float, tau: float) -> float:
    rows = []
    for t_row, s_row in zip(teacher, student, strict=True):
        rows.extend([t_row, s_row])
    contrastive = reference_info_nce(torch.stack(rows), tau)
    absolute_errors = [
        abs(s - t)
        for t_row, s_row in zip(teacher.tolist(), student.tolist(), strict=True)
        for t, s in zip(t_row, s_row, strict=True)
    ]
    return k * contrastive + (1 - k) * sum(absolute_errors) / len(absolute_errors)


def _views(seed: int, rows: int = ROWS, hidden: int = HIDDEN) -> torch.Tensor:
    """Interleaved two-view rows: view 2m+1 is a noisy copy of view 2m."""
    generator = torch.Generator().manual_seed(seed)
    sentences = torch.randn(rows // 2, hidden, generator=generator)
    noise = 0.3 * torch.randn(rows // 2, 2, hidden, generator=generator)
    return (sentences[:, None, :] + noise).reshape(rows, hidden)


def _tower_outputs(seed: int):
    """cls_a, cls_b, pooled_a, pooled_b with a mix of positive and negative cross cosines."""
    generator = torch.Generator().manual_seed(seed)
    cls_a = _views(seed)
    signs = torch.tensor([1.0, -1.0, 1.0, -1.0]).repeat_interleave(2)[:, None]
    cls_b = signs * (cls_a + 0.5 * torch.randn(ROWS, HIDDEN, generator=generator))
    pooled_a = torch.tanh(torch.randn(ROWS, HIDDEN, generator=generator))
    pooled_b = torch.tanh(torch.randn(ROWS, HIDDEN, generator=generator))
    return cls_a, cls_b, pooled_a, pooled_b


# --- fp32 against the references ---------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1])
def test_info_nce_matches_reference(seed):
    embeddings = _views(seed)
    expected = reference_info_nce(embeddings, TAU)
    assert info_nce(embeddings, TAU).item() == pytest.approx(expected, rel=1e-5, abs=1e-5)


def test_info_nce_other_temperature_matches_reference():
    embeddings = _views(2)
    expected = reference_info_nce(embeddings, 0.5)
    assert info_nce(embeddings, 0.5).item() == pytest.approx(expected, rel=1e-5, abs=1e-5)


@pytest.mark.parametrize("seed", [0, 1])
def test_cross_info_nce_matches_reference(seed):
    anchors, candidates = _views(seed), _views(seed + 10)
    expected = reference_cross_info_nce(anchors, candidates, TAU)
    result = cross_info_nce(anchors, candidates, TAU).item()
    assert result == pytest.approx(expected, rel=1e-5, abs=1e-5)
    swapped = reference_cross_info_nce(candidates, anchors, TAU)
    assert swapped != pytest.approx(expected, rel=1e-3)
    assert cross_info_nce(candidates, anchors, TAU).item() == pytest.approx(swapped, rel=1e-5)


@pytest.mark.parametrize("seed", [0, 1])
def test_modulus_loss_matches_reference(seed):
    cls_a, cls_b, pooled_a, pooled_b = _tower_outputs(seed)
    expected = reference_modulus_loss(cls_a, cls_b, pooled_a, pooled_b)
    result = modulus_loss(cls_a, cls_b, pooled_a, pooled_b).item()
    assert result == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_modulus_loss_pairs_even_rows_of_a_with_odd_rows_of_b():
    cls_a, cls_b, pooled_a, pooled_b = _tower_outputs(3)
    forward = modulus_loss(cls_a, cls_b, pooled_a, pooled_b).item()
    backward = modulus_loss(cls_b, cls_a, pooled_b, pooled_a).item()
    assert backward == pytest.approx(reference_modulus_loss(cls_b, cls_a, pooled_b, pooled_a))
    assert forward != pytest.approx(backward, rel=1e-3)


@pytest.mark.parametrize("weight", [0.01, 0.0, 1.0, 0.5])
def test_distillation_loss_matches_reference(weight):
    generator = torch.Generator().manual_seed(4)
    teacher = torch.randn(5, HIDDEN, generator=generator)
    student = teacher + 0.4 * torch.randn(5, HIDDEN, generator=generator)
    expected = reference_distillation_loss(teacher, student, weight, TAU)
    result = distillation_loss(teacher, student, weight, TAU).item()
    assert result == pytest.approx(expected, rel=1e-5, abs=1e-6)


# --- bf16 inputs -------------------------------------------------------------------------


def test_losses_accept_bf16_and_match_references():
    views = _views(5).bfloat16()
    other = _views(6).bfloat16()
    cls_a, cls_b, pooled_a, pooled_b = (x.bfloat16() for x in _tower_outputs(5))
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
    views = _views(5).bfloat16()
    cls_a, cls_b, pooled_a, pooled_b = (x.bfloat16() for x in _tower_outputs(5))
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


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_masked_diagonal_is_finite_in_low_precision(dtype):
    views = _views(7).to(dtype)
    logits = cosine_logits(views, views, TAU)
    assert logits.dtype == dtype
    assert torch.isfinite(logits).all()
    assert (logits.diagonal() == torch.finfo(dtype).min).all()
    # cross-entropy straight on the low-precision logits: the masked entries must vanish, not
    # turn into inf/nan.
    targets = torch.arange(ROWS) ^ 1
    low_precision_loss = F.cross_entropy(logits.float(), targets)
    assert torch.isfinite(low_precision_loss)
    assert torch.softmax(logits.float(), dim=-1).diagonal().eq(0).all()


def test_bf16_gradients_are_finite_and_in_input_dtype():
    views = _views(8).bfloat16().requires_grad_()
    (info_nce(views) + cross_info_nce(views, views.flip(0))).backward()
    assert views.grad.dtype == torch.bfloat16
    assert torch.isfinite(views.grad).all()
    assert views.grad.abs().sum() > 0


# --- cosine logits and the diagonal mask -------------------------------------------------


def test_cosine_logits_matches_pairwise_cosines():
    anchors, candidates = _views(9), _views(10)[:6]
    logits = cosine_logits(anchors, candidates, TAU, mask_diagonal=False)
    assert logits.shape == (ROWS, 6)
    for i in range(ROWS):
        for j in range(6):
            expected = _cos(anchors[i], candidates[j]) / TAU
            assert logits[i, j].item() == pytest.approx(expected, rel=1e-5, abs=1e-5)


def test_row_is_never_its_own_target():
    # Orthonormal rows: each row equals only itself (cos 1 on the diagonal, 0 elsewhere).
    # With the diagonal masked every remaining logit is 0, so the loss is log(B - 1); had the
    # diagonal counted it would dominate (logit 1 / tau = 20) and the loss would be ~20.
    embeddings = torch.eye(ROWS, HIDDEN)
    assert info_nce(embeddings, TAU).item() == pytest.approx(math.log(ROWS - 1), rel=1e-6)
    assert cross_info_nce(embeddings, embeddings, TAU).item() == pytest.approx(
        math.log(ROWS - 1), rel=1e-6
    )
    logits = cosine_logits(embeddings, embeddings, TAU)
    assert (logits.argmax(dim=-1) != torch.arange(ROWS)).all()


def test_identical_views_score_only_the_other_view():
    # Both views identical, sentences orthogonal: the target logit is 1 / tau, the 2N - 2 other
    # sentences' logits are 0 and the row itself is masked. Counting the diagonal would add a
    # second exp(1 / tau) to the denominator (the loss would grow by about log 2).
    tau = 0.5
    sentences = torch.eye(ROWS // 2, HIDDEN)
    embeddings = sentences.repeat_interleave(2, dim=0)
    expected = math.log(math.exp(1 / tau) + ROWS - 2) - 1 / tau
    assert info_nce(embeddings, tau).item() == pytest.approx(expected, rel=1e-5)


# --- the tensor-modulus distance and the negative-cosine floor ---------------------------


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
    cls_a, _, pooled_a, pooled_b = _tower_outputs(13)
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
    cls_a, cls_b, pooled_a, pooled_b = _tower_outputs(14)
    cls_a.requires_grad_()
    pooled_a.requires_grad_()
    modulus_loss(cls_a, cls_b, pooled_a, pooled_b).backward()
    cosines = F.cosine_similarity(cls_a[0::2].detach(), cls_b[1::2], dim=-1)
    assert (cosines < 0).any() and (cosines > 1e-4).any()
    grad_norms = cls_a.grad[0::2].norm(dim=-1)
    assert (grad_norms[cosines < 0] == 0).all()
    assert (grad_norms[cosines > 1e-4] > 0).all()
    assert (pooled_a.grad[0::2].norm(dim=-1) > 0).all()


# --- gradients and input validation ------------------------------------------------------


def test_gradients_flow_through_every_loss():
    cls_a, cls_b, pooled_a, pooled_b = (x.requires_grad_() for x in _tower_outputs(15))
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
