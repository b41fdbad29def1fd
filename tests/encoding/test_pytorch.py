"""Tests of the public encoding API (jtcse.encoding.Encoder) on tiny real BERTs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from jtcse.encoding import Encoder
from jtcse.modeling.loading import load_model_and_tokenizer

# Deliberately not sorted by length, with a repeat, so the length sort must be undone.
SENTENCES = [
    "an old man is reading a newspaper on a bench .",
    "the cat sits .",
    "a group of people are dancing on a stage .",
    "a boy jumps .",
    "someone is cooking pasta in the kitchen today .",
    "the cat sits .",
    "two dogs are running through a field .",
]


def _reference(path: Path, sentences: list[str], pooling: str = "cls") -> np.ndarray:
    """One sentence at a time, no padding: h_CLS, the pooler output or the mean of all tokens."""
    model, tokenizer = load_model_and_tokenizer(path)
    rows = []
    with torch.no_grad():
        for sentence in sentences:
            outputs = model.eval()(**tokenizer(sentence, return_tensors="pt"))
            states = outputs.last_hidden_state[0]
            vector = {
                "cls": states[0],
                "pooler": outputs.pooler_output[0],
                "mean": states.mean(dim=0),
            }[pooling]
            rows.append(vector.numpy())
    return np.stack(rows)


@pytest.fixture(scope="module")
def encoder(distinct_bert_path: Path) -> Encoder:
    return Encoder.load(distinct_bert_path)


def test_output_follows_the_input_order(encoder: Encoder, distinct_bert_path: Path) -> None:
    embeddings = encoder.encode(SENTENCES, batch_size=3)

    assert embeddings.shape == (len(SENTENCES), 32) and embeddings.dtype == np.float32
    assert encoder.dimension == 32
    reference = _reference(distinct_bert_path, SENTENCES)
    np.testing.assert_allclose(embeddings, reference, rtol=0, atol=1e-5)
    np.testing.assert_array_equal(embeddings[1], embeddings[5])


def test_the_distinct_model_gives_each_sentence_its_own_row(distinct_bert_path: Path) -> None:
    """What makes the per-row checks see rows in the wrong order: any two different
    sentences' rows are far apart, in every norm the checks use."""
    sentences = list(dict.fromkeys(SENTENCES))
    rows = _reference(distinct_bert_path, sentences)
    unit = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    others = ~np.eye(len(sentences), dtype=bool)
    assert (unit @ unit.T)[others].max() < 0.95
    gaps = np.abs(rows[:, None, :] - rows[None, :, :]).max(axis=2)
    assert gaps[others].min() > 0.1


@pytest.mark.parametrize("pooling", ["mean", "pooler"])
def test_other_poolings_match_the_reference(distinct_bert_path: Path, pooling: str) -> None:
    embeddings = Encoder.load(distinct_bert_path, pooling=pooling).encode(SENTENCES, batch_size=4)

    np.testing.assert_allclose(
        embeddings, _reference(distinct_bert_path, SENTENCES, pooling), rtol=0, atol=1e-5
    )


def test_batch_size_does_not_change_the_embeddings(encoder: Encoder) -> None:
    full = encoder.encode(SENTENCES, batch_size=len(SENTENCES))

    for batch_size in (1, 2, 3, 100):
        np.testing.assert_allclose(
            encoder.encode(SENTENCES, batch_size=batch_size), full, rtol=0, atol=1e-5
        )


def test_ensemble_is_the_sum_of_its_members(tiny_bert_path: Path, tiny_bert_path_b: Path) -> None:
    first = Encoder.load(tiny_bert_path).encode(SENTENCES)
    second = Encoder.load(str(tiny_bert_path_b)).encode(SENTENCES)

    ensemble = Encoder.load([tiny_bert_path, tiny_bert_path_b]).encode(SENTENCES, batch_size=2)

    assert not np.allclose(first, second, atol=1e-2)
    np.testing.assert_allclose(ensemble, first + second, atol=1e-5)


def test_normalize_gives_unit_rows_in_the_same_direction(encoder: Encoder) -> None:
    raw = encoder.encode(SENTENCES)

    unit = encoder.encode(SENTENCES, normalize=True)

    np.testing.assert_allclose(np.linalg.norm(unit, axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(unit, raw / np.linalg.norm(raw, axis=1, keepdims=True), atol=1e-6)


def test_bf16_runs_and_stays_close_to_fp32(distinct_bert_path: Path, encoder: Encoder) -> None:
    fp32 = encoder.encode(SENTENCES)

    bf16 = Encoder.load(distinct_bert_path, bf16=True).encode(SENTENCES)

    assert bf16.dtype == np.float32
    assert not np.array_equal(bf16, fp32)  # bf16 autocast really ran
    np.testing.assert_allclose(bf16, fp32, atol=0.1)
    norms = np.linalg.norm(bf16, axis=1) * np.linalg.norm(fp32, axis=1)
    np.testing.assert_allclose(np.sum(bf16 * fp32, axis=1) / norms, 1.0, atol=1e-3)


@pytest.mark.parametrize("batch_size", [0, -1])
def test_batch_size_below_one_is_rejected(encoder: Encoder, batch_size: int) -> None:
    with pytest.raises(ValueError, match=f"batch_size must be at least 1; got {batch_size}"):
        encoder.encode(SENTENCES, batch_size=batch_size)


def test_no_sentences_give_an_empty_array(encoder: Encoder) -> None:
    assert encoder.encode([]).shape == (0, 32)


def test_long_sentences_are_truncated_to_the_tokenizer_limit(distinct_bert_path: Path) -> None:
    model, tokenizer = load_model_and_tokenizer(distinct_bert_path)
    long_sentence = " ".join(["a man is playing a guitar ."] * 30)  # over 128 positions
    tokenizer.model_max_length = 16
    ids = tokenizer(long_sentence, truncation=True, max_length=16, return_tensors="pt")
    with torch.no_grad():
        expected = model.eval()(**ids).last_hidden_state[0, 0].numpy()

    embeddings = Encoder.from_models([(model, tokenizer)]).encode([long_sentence, "the cat sits ."])

    assert ids["input_ids"].shape[1] == 16
    np.testing.assert_allclose(embeddings[0], expected, rtol=0, atol=1e-5)


def test_sentences_longer_than_the_position_table_are_truncated(
    encoder: Encoder, distinct_bert_path: Path
) -> None:
    long_sentence = " ".join(["a man is playing a guitar ."] * 30)  # 212 tokens
    model, tokenizer = load_model_and_tokenizer(distinct_bert_path)
    ids = tokenizer(long_sentence)["input_ids"]
    assert len(ids) > model.config.max_position_embeddings == 128
    # the reference: the first 127 tokens and [SEP], run alone through the model
    first = torch.tensor([[*ids[:127], tokenizer.sep_token_id]])
    with torch.no_grad():
        expected = model.eval()(input_ids=first).last_hidden_state[0, 0].numpy()

    embeddings = encoder.encode([long_sentence, "the cat sits ."])

    np.testing.assert_allclose(embeddings[0], expected, rtol=0, atol=1e-5)


def test_invalid_construction_is_rejected(distinct_bert_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one model"):
        Encoder([])
    with pytest.raises(ValueError, match="pooling must be one of"):
        Encoder.load(distinct_bert_path, pooling="max")
