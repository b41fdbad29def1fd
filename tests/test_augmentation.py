"""Tests of the cheap text augmentations and the collator of (sentence, augmented) pairs."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest
import torch
from transformers import AutoTokenizer

from jtcse.augmentation import (
    augmented_pair_collator,
    make_augmentation,
    word_deletion,
    word_repetition,
)
from tests.fixtures.tiny_bert import TINY_CORPUS

SENTENCES = [*TINY_CORPUS, "one", "two words"]


def is_subsequence(words: list[str], of: list[str]) -> bool:
    remaining = iter(of)
    return all(any(word == candidate for candidate in remaining) for word in words)


def collapse_repetitions(words: list[str], original: list[str]) -> list[str] | None:
    """Read ``words`` as ``original`` with some words doubled; None if it is not that."""
    position, rebuilt = 0, []
    for word in original:
        if words[position : position + 1] != [word]:
            return None
        position += 1
        if words[position : position + 1] == [word]:  # a doubled word
            position += 1
        rebuilt.append(word)
    return rebuilt if position == len(words) else None


@pytest.mark.parametrize("augment", [word_deletion, word_repetition])
def test_probability_zero_is_the_identity(augment):
    random.seed(0)
    for sentence in SENTENCES:
        assert augment(sentence, 0.0) == sentence


def test_word_deletion_keeps_an_ordered_nonempty_subset_of_the_words():
    random.seed(1)
    for sentence in SENTENCES * 20:
        words = sentence.split()
        kept = word_deletion(sentence, 0.95).split()
        assert 1 <= len(kept) <= len(words)
        assert is_subsequence(kept, words), (sentence, kept)


def test_word_deletion_of_every_word_keeps_one_of_them():
    random.seed(2)
    for sentence in SENTENCES:
        result = word_deletion(sentence, 1.0)  # the function itself allows p = 1
        assert result in sentence.split()
    assert word_deletion("", 0.5) == ""


def test_word_deletion_drops_about_probability_of_the_words():
    random.seed(3)
    probability, words, kept = 0.3, 0, 0
    for sentence in SENTENCES * 200:
        words += len(sentence.split())
        kept += len(word_deletion(sentence, probability).split())
    assert kept / words == pytest.approx(1 - probability, abs=0.02)


def test_word_repetition_only_doubles_words_in_place():
    random.seed(4)
    doubled = 0
    for sentence in SENTENCES * 20:
        original = sentence.split()
        result = word_repetition(sentence, 0.5).split()
        assert collapse_repetitions(result, original) == original, (sentence, result)
        doubled += len(result) - len(original)
    assert doubled > 0


def test_word_repetition_doubles_about_probability_of_the_words():
    random.seed(5)
    probability, words, added = 0.2, 0, 0
    for sentence in SENTENCES * 200:
        words += len(sentence.split())
        added += len(word_repetition(sentence, probability).split()) - len(sentence.split())
    assert added / words == pytest.approx(probability, abs=0.02)


@pytest.mark.parametrize("augment", [word_deletion, word_repetition])
def test_the_same_seed_gives_the_same_augmentation(augment):
    def run(seed: int) -> list[str]:
        random.seed(seed)
        return [augment(sentence, 0.4) for sentence in SENTENCES]

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_make_augmentation_binds_the_probability():
    assert make_augmentation(None, 0.5) is None
    for name, function in (("word_deletion", word_deletion), ("word_repetition", word_repetition)):
        augment = make_augmentation(name, 0.4)
        random.seed(9)
        expected = [function(sentence, 0.4) for sentence in SENTENCES]
        random.seed(9)
        assert [augment(sentence) for sentence in SENTENCES] == expected


@pytest.mark.parametrize(
    ("name", "probability", "message"),
    [
        ("back_translation", 0.1, r"augmentation must be one of .* got 'back_translation'"),
        ("Word_Deletion", 0.1, "augmentation must be one of"),
        ("word_deletion", 1.0, r"augmentation_probability must be in \[0, 1\); got 1.0"),
        ("word_repetition", -0.1, r"augmentation_probability must be in \[0, 1\); got -0.1"),
        ("word_deletion", math.nan, r"augmentation_probability must be in \[0, 1\); got nan"),
    ],
)
def test_make_augmentation_rejects_bad_names_and_probabilities(name, probability, message):
    with pytest.raises(ValueError, match=message):
        make_augmentation(name, probability)


@pytest.fixture(scope="module")
def tokenizer(tiny_bert_path: Path):
    return AutoTokenizer.from_pretrained(tiny_bert_path)


def check_padded_rows(batch: dict[str, torch.Tensor], rows: list[list[int]], pad_id: int) -> None:
    """Row r holds ``rows[r]`` then padding; the width is the longest row."""
    assert batch["input_ids"].shape == (len(rows), max(map(len, rows)))
    for index, ids in enumerate(rows):
        padding = batch["input_ids"].shape[1] - len(ids)
        assert batch["input_ids"][index].tolist() == ids + [pad_id] * padding
        assert batch["attention_mask"][index].tolist() == [1] * len(ids) + [0] * padding


@pytest.mark.parametrize("max_length", [64, 8])
def test_collator_interleaves_sentences_and_augmented_views(tokenizer, max_length):
    sentences = [TINY_CORPUS[10], TINY_CORPUS[3], "one"]
    augment = make_augmentation("word_repetition", 0.5)
    random.seed(11)
    augmented = [augment(sentence) for sentence in sentences]
    assert augmented != sentences  # the views differ (else this test proves little)
    expected_texts = [text for pair in zip(sentences, augmented, strict=True) for text in pair]
    expected_rows = [
        tokenizer(text, truncation=True, max_length=max_length)["input_ids"]
        for text in expected_texts
    ]

    random.seed(11)
    batch = augmented_pair_collator(tokenizer, max_length, augment)(sentences)

    assert set(batch) >= {"input_ids", "attention_mask"}
    check_padded_rows(batch, expected_rows, tokenizer.pad_token_id)
    assert batch["input_ids"].shape[1] == min(max_length, max(map(len, expected_rows)))
    if max_length == 64:
        assert batch["input_ids"].shape[1] < max_length  # padded to the batch, not max_length


def test_the_round_trip_view_is_the_translation_or_the_sentence_itself() -> None:
    from jtcse.augmentation import make_augmentation

    augment = make_augmentation("round_trip", 0.1, {"a cat sits .": "a cat is sitting ."})
    assert augment("a cat sits .") == "a cat is sitting ."
    assert augment("no translation .") == "no translation ."  # a dropout-only pair
    with pytest.raises(ValueError, match="round_trip needs the round-trip views"):
        make_augmentation("round_trip", 0.1)
