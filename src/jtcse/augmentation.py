"""Cheap offline text augmentations that make a second, different view of a sentence.

They stand in for round-trip translation (which needs translation models) as a source of
diversity between the two towers (docs/method.md#towers, a project reading); ``round_trip`` uses
the translations of :mod:`jtcse.translation` where they exist. Randomness comes from
Python's global ``random`` module, which the training loop seeds and restores on resume.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping

import torch
from transformers import PreTrainedTokenizerBase

from jtcse.training.settings import AUGMENTATIONS

Augmentation = Callable[[str], str]


def word_deletion(sentence: str, probability: float) -> str:
    """Drop each whitespace word with ``probability``; at least one word is kept."""
    words = sentence.split()
    kept = [word for word in words if random.random() >= probability]
    return " ".join(kept or [random.choice(words)]) if words else sentence


def word_repetition(sentence: str, probability: float) -> str:
    """Repeat each whitespace word once with ``probability`` (ESimCSE-style repetition)."""
    words = []
    for word in sentence.split():
        words.extend([word, word] if random.random() < probability else [word])
    return " ".join(words)


def make_augmentation(
    name: str | None, probability: float, round_trip_views: Mapping[str, str] | None = None
) -> Augmentation | None:
    """The named augmentation with its probability bound, or None for ``name=None``;
    ``round_trip`` maps a sentence to its round trip in ``round_trip_views`` (a sentence
    without one is its own second view: the pair differs by dropout only)."""
    if name is None:
        return None
    if name == "round_trip":
        if round_trip_views is None:
            raise ValueError("augmentation round_trip needs the round-trip views")
        return lambda sentence: round_trip_views.get(sentence, sentence)
    if name not in AUGMENTATIONS:
        raise ValueError(f"augmentation must be one of {AUGMENTATIONS} or null; got {name!r}")
    if not 0.0 <= probability < 1.0:
        raise ValueError(f"augmentation_probability must be in [0, 1); got {probability}")
    function = word_deletion if name == "word_deletion" else word_repetition
    return lambda sentence: function(sentence, probability)


def augmented_pair_collator(
    tokenizer: PreTrainedTokenizerBase, max_length: int, augment: Augmentation
) -> Callable[[list[str]], dict[str, torch.Tensor]]:
    """Rows 2m and 2m+1 are sentence m and ``augment(sentence m)``, padded to the batch's
    longest row (truncated to ``max_length``)."""

    def collate(sentences: list[str]) -> dict[str, torch.Tensor]:
        rows = [text for sentence in sentences for text in (sentence, augment(sentence))]
        return dict(
            tokenizer(
                rows, padding="longest", truncation=True, max_length=max_length, return_tensors="pt"
            )
        )

    return collate
