"""The tensor-modulus constraint of TNCSE and JTCSE (Zong et al. 2025; docs/method.md#ictm).

Row layout and numerics as in :mod:`jtcse.losses.contrastive`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from jtcse.losses.shapes import NORM_EPS, check_matrix, check_paired_rows, check_same_shape


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
    check_matrix("h", h)
    check_same_shape("h_pos", h_pos, "h", h)
    h, h_pos = h.float(), h_pos.float()
    moduli_sum = h.norm(dim=-1) + h_pos.norm(dim=-1)
    return (h - h_pos).norm(dim=-1) / moduli_sum.clamp_min(NORM_EPS)


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
    check_paired_rows("cls_a", cls_a)
    check_same_shape("cls_b", cls_b, "cls_a", cls_a)
    check_paired_rows("pooled_a", pooled_a)
    if pooled_a.shape[0] != cls_a.shape[0]:
        raise ValueError(
            f"pooled_a must have the rows of cls_a ({cls_a.shape[0]}), got {pooled_a.shape[0]}"
        )
    check_same_shape("pooled_b", pooled_b, "pooled_a", pooled_a)
    if not 0 < negative_cosine_floor <= 1:
        raise ValueError(f"negative_cosine_floor must be in (0, 1], got {negative_cosine_floor}")
    cosines = F.cosine_similarity(cls_a[0::2].float(), cls_b[1::2].float(), dim=-1)
    cosines = cosines.clamp_min(negative_cosine_floor)
    modulus_weights = modulus_distance(pooled_a[0::2], pooled_b[1::2]) / 2
    return (-torch.log(cosines) * modulus_weights).mean()
