"""How sentences become batches: the epoch order and the tokenising collator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from jtcse.field_checks import require_integer

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase


def sentence_collator(
    tokenizer: PreTrainedTokenizerBase, max_length: int, views: int = 2
) -> Callable[[list[str]], dict[str, Tensor]]:
    """A collate function: tokenise a batch, padded to its longest sentence, each row repeated.

    The batch is padded to its own longest sentence (truncated to ``max_length`` tokens), never
    to ``max_length``. Each row is repeated ``views`` times, interleaved: with views=2 rows
    2m and 2m+1 are sentence m twice (dropout makes them two views); views=1 for distillation.

    Returns:
        ``collate(sentences) -> {"input_ids", "attention_mask", ...}``, each of shape
        ``(views * len(sentences), longest length)``.
    """
    require_integer("max_length", max_length, minimum=1)
    require_integer("views", views, minimum=1)

    def collate(sentences: list[str]) -> dict[str, Tensor]:
        if not sentences:
            raise ValueError("cannot collate an empty batch of sentences")
        encoded = tokenizer(
            list(sentences),
            padding="longest",
            truncation=True,
            max_length=max_length,
            return_tensors="pt",
        )
        return {name: values.repeat_interleave(views, dim=0) for name, values in encoded.items()}

    return collate


def epoch_permutation(num_sentences: int, seed: int, epoch: int) -> Tensor:
    """The data order of ``epoch``: ``randperm(num_sentences)`` seeded with ``seed + epoch``."""
    generator = torch.Generator().manual_seed(seed + epoch)
    return torch.randperm(num_sentences, generator=generator)


def batch_schedule(
    num_sentences: int, batch_size: int, seed: int, epoch: int, position: int
) -> Iterator[tuple[int, int, Tensor]]:
    """Endless ``(epoch, start, sentence indices)`` from data position (epoch, position)."""
    while True:
        order = epoch_permutation(num_sentences, seed, epoch)
        for start in range(position, num_sentences, batch_size):
            yield epoch, start, order[start : start + batch_size]
        epoch, position = epoch + 1, 0
