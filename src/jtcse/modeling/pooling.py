"""Sentence pooling of a BERT-like encoder's outputs.

- ``cls``: the last-layer hidden state of [CLS] (position 0), before the pooler: h_CLS.
- ``pooler``: the model's pooler output tanh(W h_CLS + b).
- ``mean``: the mean of the last-layer hidden states over non-padding tokens,
  sum_t m_t h_t / sum_t m_t with m the attention mask.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the pooling names load without torch
    import torch

POOLINGS = ("cls", "pooler", "mean")


def check_pooling(pooling: str) -> str:
    """Return ``pooling`` or raise a ValueError naming the allowed values."""
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}; got {pooling!r}")
    return pooling


def pool(
    last_hidden_state: torch.Tensor,
    attention_mask: torch.Tensor,
    pooling: str,
    pooler_output: torch.Tensor | None = None,
) -> torch.Tensor:
    """Pool [batch, tokens, hidden] states into [batch, hidden] sentence embeddings."""
    check_pooling(pooling)
    if pooling == "cls":
        return last_hidden_state[:, 0]
    if pooling == "pooler":
        if pooler_output is None:
            raise ValueError("pooling='pooler' needs a model with a pooler layer")
        return pooler_output
    mask = attention_mask.unsqueeze(-1).to(last_hidden_state.dtype)
    return (last_hidden_state * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)


def per_model(values: str | Sequence[str], count: int, what: str) -> list[str]:
    """One value for each of ``count`` models: a single value repeated, or a list of exactly
    ``count`` (ValueError naming ``what`` otherwise)."""
    listed = [values] if isinstance(values, str) else list(values)
    if len(listed) == 1:
        return listed * count
    if len(listed) != count:
        raise ValueError(f"{what}: {len(listed)} values for {count} models; give 1 or {count}")
    return listed
