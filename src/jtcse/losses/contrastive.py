"""Contrastive losses: InfoNCE within one encoder and cross-InfoNCE between two (SimCSE,
TNCSE, JTCSE; docs/method.md#nce and docs/method.md#icnce).

Every loss takes ``[rows, hidden]`` embedding matrices. The paired losses use the SimCSE row
layout: a batch of N sentences gives B = 2N rows, rows ``2m`` and ``2m + 1`` are the two views
of sentence m, and the positive of row i is row ``pi(i) = i xor 1``.

Numerics: the losses cast their inputs to float32 before normalising, so bf16/fp16 inputs are
accepted and stay differentiable (the gradient flows back in the input dtype), while the
logits ``cos / tau`` (up to 1 / 0.05 = 20, where bf16 resolves only steps of 0.125), the norms
and the logarithms are computed in float32. Every loss returns a float32 scalar.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from jtcse.losses.shapes import (
    NORM_EPS,
    check_matrix,
    check_paired_rows,
    check_same_shape,
    check_temperature,
)


def _other_view_targets(rows: int, device: torch.device) -> Tensor:
    """Targets pi(i) = i xor 1: the other view of the same sentence."""
    return torch.arange(rows, device=device) ^ 1


def cosine_logits(
    anchors: Tensor, candidates: Tensor, temperature: float = 0.05, mask_diagonal: bool = True
) -> Tensor:
    """Scaled cosine similarities s_ij = cos(a_i, b_j) / tau, the logits of every InfoNCE here.

    Computed as one matmul of row-normalised matrices (no ``B x B x H`` tensor), in the dtype of
    the inputs. With ``mask_diagonal`` the entries s_ii are set to ``torch.finfo(dtype).min``
    with ``masked_fill``, so a row never scores itself and the logits stay finite in
    bf16/fp16 (subtracting a large constant such as 1e12 would overflow to -inf there); after
    ``softmax`` or ``cross_entropy`` a masked entry has probability 0.

    Args:
        anchors: ``[B, H]`` anchor rows a_i.
        candidates: ``[C, H]`` candidate rows b_j, same dtype as ``anchors``; ``C == B`` when
            ``mask_diagonal`` is set.
        temperature: tau > 0 (dimensionless).
        mask_diagonal: whether to mask s_ii.

    Returns:
        ``[B, C]`` logits in the dtype of the inputs.

    Example::

        views = torch.randn(8, 768)
        logits = cosine_logits(views, views)  # [8, 8], diagonal masked
    """
    check_matrix("anchors", anchors)
    check_matrix("candidates", candidates)
    check_temperature(temperature)
    if anchors.shape[1] != candidates.shape[1]:
        raise ValueError(
            f"candidates must have the hidden size of anchors ({anchors.shape[1]}), "
            f"got {candidates.shape[1]}"
        )
    if anchors.dtype != candidates.dtype:
        raise ValueError(
            f"candidates must have the dtype of anchors ({anchors.dtype}), got {candidates.dtype}"
        )
    if mask_diagonal and anchors.shape[0] != candidates.shape[0]:
        raise ValueError(
            "mask_diagonal needs as many candidates as anchors "
            f"({anchors.shape[0]}), got {candidates.shape[0]}"
        )
    anchors_unit = F.normalize(anchors, dim=-1, eps=NORM_EPS)
    candidates_unit = F.normalize(candidates, dim=-1, eps=NORM_EPS)
    with torch.autocast(anchors.device.type, enabled=False):  # keep the inputs' dtype
        logits = anchors_unit @ candidates_unit.T / temperature
    if mask_diagonal:
        diagonal = torch.eye(logits.shape[0], dtype=torch.bool, device=logits.device)
        logits = logits.masked_fill(diagonal, torch.finfo(logits.dtype).min)
    return logits


def info_nce(embeddings: Tensor, temperature: float = 0.05) -> Tensor:
    """Unsupervised SimCSE InfoNCE with in-batch negatives (Gao et al., 2021, SimCSE).

    Over B = 2N rows where rows 2m and 2m+1 are two dropout views of sentence m::

        s_ij = cos(h_i, h_j) / tau,   s_ii masked out
        l_NCE = mean_i CE(s_i, pi(i)),   pi(i) = i xor 1

    i.e. -log( exp(s_i,pi(i)) / sum_{j != i} exp(s_ij) ) averaged over the B rows. Computed in
    float32 (see the module docstring).

    Args:
        embeddings: ``[B, H]`` interleaved views, B even.
        temperature: tau > 0.

    Returns:
        Float32 scalar loss (nats).

    Example::

        cls = model(**batch).last_hidden_state[:, 0]  # each sentence tokenised twice
        loss = info_nce(cls, temperature=0.05)
        loss.backward()
    """
    check_paired_rows("embeddings", embeddings)
    embeddings = embeddings.float()
    logits = cosine_logits(embeddings, embeddings, temperature, mask_diagonal=True)
    return F.cross_entropy(logits, _other_view_targets(logits.shape[0], logits.device))


def cross_info_nce(anchors: Tensor, candidates: Tensor, temperature: float = 0.05) -> Tensor:
    """Interaction-constrained InfoNCE (ICNCE) between two towers (TNCSE/JTCSE, Zong et al. 2025).

    Anchors come from tower a, candidates from tower b, both in the interleaved two-view
    layout::

        s_ij = cos(y^a_i, y^b_j) / tau,   s_ii masked out
        l_IC = mean_i CE(s_i, pi(i)),   pi(i) = i xor 1

    JTCSE draws the direction (a, b) = (1, 2) or (2, 1) by a fair coin each step; swap the
    arguments for the other direction. Computed in float32 (see the module docstring).

    Args:
        anchors: ``[B, H]`` rows y^a of tower a, B even.
        candidates: ``[B, H]`` rows y^b of tower b.
        temperature: tau > 0.

    Returns:
        Float32 scalar loss (nats).

    Example::

        loss = cross_info_nce(cls_tower1, cls_tower2)  # direction 1 -> 2
    """
    check_paired_rows("anchors", anchors)
    check_same_shape("candidates", candidates, "anchors", anchors)
    logits = cosine_logits(anchors.float(), candidates.float(), temperature, mask_diagonal=True)
    return F.cross_entropy(logits, _other_view_targets(logits.shape[0], logits.device))
