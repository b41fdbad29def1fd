"""Training losses of SimCSE, TNCSE and JTCSE (docs/method.md#losses).

Every loss takes ``[rows, hidden]`` embedding matrices. The paired losses use the SimCSE row
layout: a batch of N sentences gives B = 2N rows, rows ``2m`` and ``2m + 1`` are the two views
of sentence m, and the positive of row i is row ``pi(i) = i xor 1``.

- :mod:`~jtcse.losses.contrastive`: ``info_nce``, ``cross_info_nce``, ``cosine_logits``;
- :mod:`~jtcse.losses.modulus`: the tensor-modulus terms ``modulus_distance``, ``modulus_loss``;
- :mod:`~jtcse.losses.objectives`: the complete objectives, ``joint_loss`` (JTCSE / TNCSE) and
  ``distillation_loss`` (L_D of JTCSE-D) with ``distillation_terms``.
"""

from jtcse.losses.contrastive import cosine_logits, cross_info_nce, info_nce
from jtcse.losses.modulus import modulus_distance, modulus_loss
from jtcse.losses.objectives import distillation_loss, distillation_terms, joint_loss

__all__ = [
    "cosine_logits",
    "cross_info_nce",
    "distillation_loss",
    "distillation_terms",
    "info_nce",
    "joint_loss",
    "modulus_distance",
    "modulus_loss",
]
