"""Training losses of SimCSE, TNCSE and JTCSE (METHOD.md sections 1.4 and 2).

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

__all__ = [
    "cosine_logits",
    "cross_info_nce",
    "distillation_loss",
    "info_nce",
    "modulus_distance",
    "modulus_loss",
]

_NORM_EPS = 1e-12  # lower bound on vector norms, so zero vectors give 0 instead of NaN


def _check_matrix(name: str, tensor: Tensor) -> None:
    if tensor.dim() != 2:
        raise ValueError(f"{name} must be a [rows, hidden] matrix, got shape {tuple(tensor.shape)}")
    if tensor.shape[0] == 0:
        raise ValueError(f"{name} must have at least one row, got shape {tuple(tensor.shape)}")


def _check_paired_rows(name: str, tensor: Tensor) -> None:
    _check_matrix(name, tensor)
    if tensor.shape[0] % 2 != 0:
        raise ValueError(
            f"{name} must have an even number of rows (two views per sentence), "
            f"got {tensor.shape[0]} rows"
        )


def _check_same_shape(name: str, tensor: Tensor, reference_name: str, reference: Tensor) -> None:
    if tensor.shape != reference.shape:
        raise ValueError(
            f"{name} must have the shape of {reference_name} {tuple(reference.shape)}, "
            f"got {tuple(tensor.shape)}"
        )


def _check_temperature(temperature: float) -> None:
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")


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
    _check_matrix("anchors", anchors)
    _check_matrix("candidates", candidates)
    _check_temperature(temperature)
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
    anchors_unit = F.normalize(anchors, dim=-1, eps=_NORM_EPS)
    candidates_unit = F.normalize(candidates, dim=-1, eps=_NORM_EPS)
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
    _check_paired_rows("embeddings", embeddings)
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
    _check_paired_rows("anchors", anchors)
    _check_same_shape("candidates", candidates, "anchors", anchors)
    logits = cosine_logits(anchors.float(), candidates.float(), temperature, mask_diagonal=True)
    return F.cross_entropy(logits, _other_view_targets(logits.shape[0], logits.device))


def modulus_distance(h: Tensor, h_pos: Tensor) -> Tensor:
    """Tensor-modulus distance l_TN per row (TNCSE, Zong et al. 2025).

    With k = |h+| / |h| and t = cos(h, h+)::

        l_TN = |h - h+| / (|h| + |h+|) = sqrt(1 + k^2 - 2 k t) / (1 + k)

    which lies in [0, 1] and is 0 only when h+ = h (same direction and same modulus). The
    denominator is floored at 1e-12 so two zero vectors give 0. Computed in float32.

    Args:
        h: ``[rows, H]`` vectors.
        h_pos: ``[rows, H]`` their positives.

    Returns:
        ``[rows]`` float32 distances (dimensionless).

    Example::

        distances = modulus_distance(pooled_a, pooled_b)  # one value per row
    """
    _check_matrix("h", h)
    _check_same_shape("h_pos", h_pos, "h", h)
    h, h_pos = h.float(), h_pos.float()
    moduli_sum = h.norm(dim=-1) + h_pos.norm(dim=-1)
    return (h - h_pos).norm(dim=-1) / moduli_sum.clamp_min(_NORM_EPS)


def modulus_loss(
    cls_a: Tensor,
    cls_b: Tensor,
    pooled_a: Tensor,
    pooled_b: Tensor,
    negative_cosine_floor: float = 1e-4,
) -> Tensor:
    """Cross-tower tensor-modulus loss LTN(a -> b) (TNCSE/JTCSE, Zong et al. 2025).

    Over the N sentences m, with even row i = 2m of tower a and its positive row i + 1 of
    tower b (h = last-layer [CLS] vectors, p = pooler outputs)::

        c_m = max(cos(h^a_i, h^b_{i+1}), floor)
        M_m = l_TN(p^a_i, p^b_{i+1}) / 2 = |p^a_i - p^b_{i+1}| / (|p^a_i| + |p^b_{i+1}|) / 2
        LTN(a -> b) = mean_m [ -log(c_m) * M_m ]

    The published code replaces a negative cosine by the constant 1e-4. Here every cosine below
    ``floor`` is raised to it: identical for negative cosines, and it also keeps c = 0 from
    giving -log(0) = inf and stops a tiny positive cosine (0 < c < floor) from weighing more
    than a negative one. A floored c_m is a constant, so that sentence's gradient flows only
    through M_m (the pooler outputs), as in the published code. -log(c_m) is at most
    -log(floor) (9.21 nats for 1e-4). The joint loss uses LTN(1 -> 2) + LTN(2 -> 1); swap the
    towers' arguments for the second term. Computed in float32 (see the module docstring).

    Args:
        cls_a: ``[B, H]`` [CLS] vectors h^a of tower a, interleaved views, B even.
        cls_b: ``[B, H]`` [CLS] vectors h^b of tower b.
        pooled_a: ``[B, P]`` pooler outputs p^a of tower a.
        pooled_b: ``[B, P]`` pooler outputs p^b of tower b.
        negative_cosine_floor: the floor on c_m, in (0, 1].

    Returns:
        Float32 scalar loss.

    Example::

        out1, out2 = tower1(**batch), tower2(**batch)
        h1, h2 = out1.last_hidden_state[:, 0], out2.last_hidden_state[:, 0]
        p1, p2 = out1.pooler_output, out2.pooler_output
        loss = modulus_loss(h1, h2, p1, p2) + modulus_loss(h2, h1, p2, p1)
    """
    _check_paired_rows("cls_a", cls_a)
    _check_same_shape("cls_b", cls_b, "cls_a", cls_a)
    _check_paired_rows("pooled_a", pooled_a)
    if pooled_a.shape[0] != cls_a.shape[0]:
        raise ValueError(
            f"pooled_a must have the rows of cls_a ({cls_a.shape[0]}), got {pooled_a.shape[0]}"
        )
    _check_same_shape("pooled_b", pooled_b, "pooled_a", pooled_a)
    if not 0 < negative_cosine_floor <= 1:
        raise ValueError(f"negative_cosine_floor must be in (0, 1], got {negative_cosine_floor}")
    cosines = F.cosine_similarity(cls_a[0::2].float(), cls_b[1::2].float(), dim=-1)
    cosines = cosines.clamp_min(negative_cosine_floor)
    modulus_weights = modulus_distance(pooled_a[0::2], pooled_b[1::2]) / 2
    return (-torch.log(cosines) * modulus_weights).mean()


def distillation_loss(
    teacher: Tensor,
    student: Tensor,
    weight_contrastive: float = 0.01,
    temperature: float = 0.05,
) -> Tensor:
    """Distillation loss of JTCSE-D (METHOD.md section 1.4; Zong et al. 2025).

    Each sentence appears once; teacher and student rows are interleaved as
    ``[t_1, s_1, t_2, s_2, ...]`` so that (t_m, s_m) is a positive pair of ``info_nce``::

        L_D = k * InfoNCE_tau([t_1, s_1, ..., t_N, s_N]) + (1 - k) * mean |s - t|

    where the mean absolute error runs over all N x H elements. The teacher is a constant
    (detached): only the student receives gradients. Computed in float32.

    Args:
        teacher: ``[N, H]`` frozen ensemble embeddings t(x) = h1_CLS + h2_CLS.
        student: ``[N, H]`` student [CLS] vectors s(x).
        weight_contrastive: k in [0, 1].
        temperature: tau > 0 of the InfoNCE term.

    Returns:
        Float32 scalar loss.

    Example::

        with torch.no_grad():
            teacher = tower1_cls(batch) + tower2_cls(batch)
        loss = distillation_loss(teacher, student(**batch).last_hidden_state[:, 0])
    """
    _check_matrix("teacher", teacher)
    _check_same_shape("student", student, "teacher", teacher)
    if not 0 <= weight_contrastive <= 1:
        raise ValueError(f"weight_contrastive must be in [0, 1], got {weight_contrastive}")
    teacher, student = teacher.detach().float(), student.float()
    interleaved = torch.stack((teacher, student), dim=1).reshape(-1, teacher.shape[1])
    contrastive = info_nce(interleaved, temperature)
    mean_absolute_error = (student - teacher).abs().mean()
    return weight_contrastive * contrastive + (1 - weight_contrastive) * mean_absolute_error
