"""InfoNCE, cross-InfoNCE and their cosine logits (jtcse.losses.contrastive) against the
references."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from jtcse.losses import (
    cosine_logits,
    cross_info_nce,
    info_nce,
)
from tests.fixtures.losses import (
    HIDDEN,
    ROWS,
    TAU,
    reference_cross_info_nce,
    reference_info_nce,
    row_cosine,
    two_view_rows,
)


@pytest.mark.parametrize("seed", [0, 1])
def test_info_nce_matches_reference(seed):
    embeddings = two_view_rows(seed)
    expected = reference_info_nce(embeddings, TAU)
    assert info_nce(embeddings, TAU).item() == pytest.approx(expected, rel=1e-5, abs=1e-5)


def test_info_nce_other_temperature_matches_reference():
    embeddings = two_view_rows(2)
    expected = reference_info_nce(embeddings, 0.5)
    assert info_nce(embeddings, 0.5).item() == pytest.approx(expected, rel=1e-5, abs=1e-5)


@pytest.mark.parametrize("seed", [0, 1])
def test_cross_info_nce_matches_reference(seed):
    anchors, candidates = two_view_rows(seed), two_view_rows(seed + 10)
    expected = reference_cross_info_nce(anchors, candidates, TAU)
    result = cross_info_nce(anchors, candidates, TAU).item()
    assert result == pytest.approx(expected, rel=1e-5, abs=1e-5)
    swapped = reference_cross_info_nce(candidates, anchors, TAU)
    assert swapped != pytest.approx(expected, rel=1e-3)
    assert cross_info_nce(candidates, anchors, TAU).item() == pytest.approx(swapped, rel=1e-5)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_masked_diagonal_is_finite_in_low_precision(dtype):
    views = two_view_rows(7).to(dtype)
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


def test_cosine_logits_matches_pairwise_cosines():
    anchors, candidates = two_view_rows(9), two_view_rows(10)[:6]
    logits = cosine_logits(anchors, candidates, TAU, mask_diagonal=False)
    assert logits.shape == (ROWS, 6)
    for i in range(ROWS):
        for j in range(6):
            expected = row_cosine(anchors[i], candidates[j]) / TAU
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


def test_the_default_temperature_is_the_papers_0_05():
    anchors, candidates = two_view_rows(11), two_view_rows(12)
    expected = reference_cross_info_nce(anchors, candidates, 0.05)
    assert cross_info_nce(anchors, candidates).item() == pytest.approx(expected, rel=1e-5)
    assert info_nce(anchors).item() == pytest.approx(
        reference_info_nce(anchors, 0.05), rel=1e-5, abs=1e-5
    )
    logits = cosine_logits(anchors, candidates, mask_diagonal=False)
    assert logits[0, 1].item() == pytest.approx(row_cosine(anchors[0], candidates[1]) / 0.05)


def test_cross_info_nce_other_temperature_matches_reference():
    anchors, candidates = two_view_rows(13), two_view_rows(14)
    expected = reference_cross_info_nce(anchors, candidates, 0.5)
    assert cross_info_nce(anchors, candidates, 0.5).item() == pytest.approx(expected, rel=1e-5)
