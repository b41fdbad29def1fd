"""The complete training objectives of JTCSE (Zong et al. 2025, arXiv 2505.02366), each built
from the terms of :mod:`jtcse.losses.contrastive` and :mod:`jtcse.losses.modulus`:

- :func:`joint_loss`: the joint loss of two towers, JTCSE (with cross-attention) and TNCSE
  (n = 0; Zong et al. 2025, "TNCSE"), docs/method.md#joint-loss;
- :func:`distillation_loss`: L_D of JTCSE-D, docs/method.md#distillation-loss, and
  :func:`distillation_terms`, the same with its two parts for logging.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import Tensor

from jtcse.losses.contrastive import cross_info_nce, info_nce
from jtcse.losses.modulus import modulus_loss
from jtcse.losses.shapes import check_matrix, check_same_shape

if TYPE_CHECKING:
    from jtcse.modeling.twin_tower import TwinTowerOutput
    from jtcse.training.settings import DistillationSettings, JointSettings


def joint_loss(
    output: TwinTowerOutput, settings: JointSettings, anchor_tower: int
) -> dict[str, Tensor]:
    """The joint loss of two towers (JTCSE; TNCSE when they are not coupled) and its terms.

    With B = 2N rows (rows 2m, 2m+1 the two dropout views of sentence m), h^k the last-layer
    [CLS] of tower k, p^k its pooler output, u^k its [CLS] after the attention sub-block of
    the last cross-attention layer, and (a, b) = (``anchor_tower``, the other one)::

        L = w_nce   * (l_NCE(h^1) + l_NCE(h^2))
          + w_icnce * l_IC(h^a, h^b)
          + w_icnce_intermediate * l_IC(u^a, u^b)        (only with cross-attention, n > 0)
          + w_ictm  * (LTN(1 -> 2) + LTN(2 -> 1))

    l_NCE is :func:`info_nce`, l_IC :func:`cross_info_nce`, LTN :func:`modulus_loss`; the
    weights and tau come from ``settings`` (a term of weight 0 is logged, not added).

    Args:
        output: the twin-tower forward pass of the batch (``TwinTowerModel``).
        settings: the loss weights and temperature.
        anchor_tower: a in {1, 2}: JTCSE draws it by a fair coin each step, TNCSE uses 1.

    Returns:
        ``{"loss": L, "nce", "icnce", "ictm"[, "icnce_intermediate"]}``, float32 scalars.

    Example::

        output = twin_tower(batch["input_ids"], batch["attention_mask"])
        terms = joint_loss(output, JointSettings(), anchor_tower=1)
        terms["loss"].backward()
    """
    if anchor_tower not in (1, 2):
        raise ValueError(f"anchor_tower must be 1 or 2; got {anchor_tower!r}")
    cls = {1: output.cls_1, 2: output.cls_2}
    intermediate = {1: output.intermediate_cls_1, 2: output.intermediate_cls_2}
    a, b = anchor_tower, 3 - anchor_tower
    terms = {
        "nce": info_nce(output.cls_1, settings.temperature)
        + info_nce(output.cls_2, settings.temperature),
        "icnce": cross_info_nce(cls[a], cls[b], settings.temperature),
        "ictm": modulus_loss(output.cls_1, output.cls_2, output.pooled_1, output.pooled_2)
        + modulus_loss(output.cls_2, output.cls_1, output.pooled_2, output.pooled_1),
    }
    weights = {
        "nce": settings.weight_nce,
        "icnce": settings.weight_icnce,
        "ictm": settings.weight_ictm,
    }
    if intermediate[a] is not None:
        terms["icnce_intermediate"] = cross_info_nce(
            intermediate[a], intermediate[b], settings.temperature
        )
        weights["icnce_intermediate"] = settings.weight_icnce_intermediate
    total = sum(weights[name] * value for name, value in terms.items() if weights[name])
    return {"loss": total, **terms}


def distillation_loss(
    teacher: Tensor,
    student: Tensor,
    weight_contrastive: float = 0.01,
    temperature: float = 0.05,
) -> Tensor:
    """Distillation loss of JTCSE-D (docs/method.md#distillation-loss; Zong et al. 2025).

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
    check_matrix("teacher", teacher)
    check_same_shape("student", student, "teacher", teacher)
    if not 0 <= weight_contrastive <= 1:
        raise ValueError(f"weight_contrastive must be in [0, 1], got {weight_contrastive}")
    teacher, student = teacher.detach().float(), student.float()
    interleaved = torch.stack((teacher, student), dim=1).reshape(-1, teacher.shape[1])
    contrastive = info_nce(interleaved, temperature)
    mean_absolute_error = (student - teacher).abs().mean()
    return weight_contrastive * contrastive + (1 - weight_contrastive) * mean_absolute_error


def distillation_terms(
    teacher: Tensor, student: Tensor, settings: DistillationSettings
) -> dict[str, Tensor]:
    """``loss`` = L_D (:func:`distillation_loss` with the weight and tau of ``settings``) and,
    for logging, its two terms: ``contrastive`` the InfoNCE over the interleaved rows and
    ``l1`` the mean absolute error (both detached).

    Example::

        terms = distillation_terms(teacher[rows], student_cls, DistillationSettings())
        terms["loss"].backward()
    """
    loss = distillation_loss(teacher, student, settings.weight_contrastive, settings.temperature)
    with torch.no_grad():
        contrastive = distillation_loss(teacher, student, 1.0, settings.temperature)
        l1 = distillation_loss(teacher, student, 0.0, settings.temperature)
    return {"loss": loss, "contrastive": contrastive, "l1": l1}
