"""The embedding cache (jtcse.encoding.cache) and the batching it relies on, on tiny BERTs."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from jtcse.encoding import Encoder, PooledModelEncoder, load_pooled_model
from jtcse.encoding.base import length_sorted_batches
from jtcse.encoding.cache import EmbeddingCache
from jtcse.modeling.folders import save_model_folder
from jtcse.modeling.loading import load_model_and_tokenizer, local_folder
from tests.encoding.test_pytorch import SENTENCES


@pytest.fixture
def cache(tmp_path: Path) -> EmbeddingCache:
    return EmbeddingCache(tmp_path / "embeddings")


def _forward_calls(encoder: Encoder | PooledModelEncoder) -> list[int]:
    """Count the forward passes of every member (the real forward still runs)."""
    calls = []
    for member in getattr(encoder, "members", [encoder]):
        forward = member.forward

        def counted(batch, forward=forward):
            calls.append(len(batch["input_ids"]))
            return forward(batch)

        member.forward = counted
    return calls


def test_a_second_encode_reads_the_cache_and_gives_the_same_rows(tiny_bert_path, cache):
    encoder = Encoder.load(tiny_bert_path)
    calls = _forward_calls(encoder)
    first = encoder.encode(SENTENCES, batch_size=3, cache=cache)
    assert calls and (cache.hits, cache.misses) == (0, 1)
    calls.clear()
    again = encoder.encode(SENTENCES, batch_size=3, cache=cache)
    assert calls == [] and (cache.hits, cache.misses) == (1, 1)
    np.testing.assert_array_equal(again, first)
    np.testing.assert_array_equal(first, Encoder.load(tiny_bert_path).encode(SENTENCES, 3))
    # other sentences are another entry
    Encoder.load(tiny_bert_path).encode(SENTENCES[:3], cache=cache)
    assert cache.misses == 2


@pytest.mark.parametrize(
    "change", [{"pooling": "mean"}, {"bf16": True}], ids=["pooling", "precision"]
)
def test_another_pooling_or_precision_is_another_entry(tiny_bert_path, cache, change):
    Encoder.load(tiny_bert_path).encode(SENTENCES, cache=cache)
    changed = Encoder.load(tiny_bert_path, **change)
    calls = _forward_calls(changed)
    changed.encode(SENTENCES, cache=cache)
    assert calls and cache.misses == 2


def test_a_changed_model_folder_is_encoded_again(tiny_bert_path, cache, tmp_path):
    Encoder.load(tiny_bert_path).encode(SENTENCES, cache=cache)
    edited = tmp_path / "edited"
    shutil.copytree(tiny_bert_path, edited)
    weights = load_file(edited / "model.safetensors")
    name = next(key for key in weights if key.endswith("LayerNorm.weight"))
    weights[name] = weights[name] * 1.5
    save_file(weights, edited / "model.safetensors", metadata={"format": "pt"})
    fresh = Encoder.load(edited).encode(SENTENCES)
    assert np.abs(Encoder.load(edited).encode(SENTENCES, cache=cache) - fresh).max() == 0
    assert cache.misses == 2


def test_a_folder_retrained_in_place_is_encoded_again(tiny_bert_path, cache, tmp_path):
    """Training rewrites its best folder at the same path, file names and sizes: the digest
    this process remembers for the folder must not outlive the files it was computed from."""
    folder = tmp_path / "best"
    model, tokenizer = load_model_and_tokenizer(tiny_bert_path)
    save_model_folder(folder, model, tokenizer)
    before = Encoder.load(folder).encode(SENTENCES, cache=cache)
    sizes = {path.name: path.stat().st_size for path in folder.iterdir()}
    with torch.no_grad():  # one more "training step": every weight moves a little
        for parameter in model.parameters():
            parameter.mul_(1.25)
    save_model_folder(folder, model, tokenizer)
    assert {path.name: path.stat().st_size for path in folder.iterdir()} == sizes
    encoder = Encoder.load(folder)
    calls = _forward_calls(encoder)
    rows = encoder.encode(SENTENCES, cache=cache)
    assert calls and (cache.hits, cache.misses) == (0, 2)
    np.testing.assert_array_equal(rows, Encoder.load(folder).encode(SENTENCES))
    assert np.abs(rows - before).max() > 1e-3


def test_another_max_length_is_another_entry(tiny_bert_path, cache):
    full = load_pooled_model(tiny_bert_path).encode(SENTENCES, cache=cache)
    short = load_pooled_model(tiny_bert_path, max_length=5)
    calls = _forward_calls(short)
    rows = short.encode(SENTENCES, cache=cache)
    assert calls and (cache.hits, cache.misses) == (0, 2)
    np.testing.assert_array_equal(
        rows, load_pooled_model(tiny_bert_path, max_length=5).encode(SENTENCES)
    )
    truncated = [row for row, sentence in enumerate(SENTENCES) if len(sentence.split()) > 3]
    assert all(not np.array_equal(rows[row], full[row]) for row in truncated)


def test_another_attention_implementation_is_another_entry(tiny_bert_path, cache):
    default = load_pooled_model(tiny_bert_path)
    assert default.model.config._attn_implementation == "sdpa"
    sdpa_rows = default.encode(SENTENCES, cache=cache)
    model, tokenizer = load_model_and_tokenizer(tiny_bert_path, attn_implementation="eager")
    eager = PooledModelEncoder(model.eval(), tokenizer, "cls", local_folder(tiny_bert_path))
    calls = _forward_calls(eager)
    rows = eager.encode(SENTENCES, cache=cache)
    assert calls and (cache.hits, cache.misses) == (0, 2)
    np.testing.assert_allclose(rows, sdpa_rows, rtol=0, atol=1e-5)


@pytest.mark.parametrize("damage", ["truncated", "foreign"])
def test_a_damaged_entry_is_ignored_and_recomputed(
    tiny_bert_path, tiny_bert_path_b, cache, caplog, tmp_path, damage
):
    expected = Encoder.load(tiny_bert_path).encode(SENTENCES, cache=cache)
    (entry,) = cache.folder.glob("*.npy")
    if damage == "truncated":
        entry.write_bytes(entry.read_bytes()[:200])
    else:  # another model's rows, a valid array of the same shape, under this entry's name
        other = EmbeddingCache(tmp_path / "other")
        Encoder.load(tiny_bert_path_b).encode(SENTENCES, cache=other)
        shutil.copy(next(other.folder.glob("*.npy")), entry)
    encoder = Encoder.load(tiny_bert_path)
    calls = _forward_calls(encoder)
    with caplog.at_level(logging.WARNING, logger="jtcse.encoding.cache"):
        rows = encoder.encode(SENTENCES, cache=cache)
    assert calls and "recomputing" in caplog.text and str(entry) in caplog.text
    np.testing.assert_array_equal(rows, expected)
    calls.clear()  # the entry was written again: the next read trusts it
    encoder.encode(SENTENCES, cache=cache)
    assert calls == []


def test_an_ensemble_reuses_its_members_rows(tiny_bert_path, tiny_bert_path_b, cache):
    for path in (tiny_bert_path, tiny_bert_path_b):
        Encoder.load(path).encode(SENTENCES, cache=cache)
    ensemble = Encoder.load([tiny_bert_path, tiny_bert_path_b])
    calls = _forward_calls(ensemble)
    summed = ensemble.encode(SENTENCES, cache=cache)
    assert calls == [] and cache.hits == 2
    fresh = Encoder.load([tiny_bert_path, tiny_bert_path_b]).encode(SENTENCES)
    np.testing.assert_allclose(summed, fresh, rtol=0, atol=1e-6)


def test_several_poolings_come_from_one_pass(tiny_bert_path, cache):
    member = load_pooled_model(tiny_bert_path, ["cls", "mean"])
    cls_rows, mean_rows = member.embed_outputs(SENTENCES, batch_size=4, cache=cache)
    for pooling, rows in (("cls", cls_rows), ("mean", mean_rows)):
        alone = Encoder.load(tiny_bert_path, pooling).encode(SENTENCES, 4)
        np.testing.assert_allclose(rows, alone, rtol=0, atol=1e-6)
        # and each pooling was stored as its own entry
        np.testing.assert_array_equal(
            Encoder.load(tiny_bert_path, pooling).encode(SENTENCES, cache=cache), rows
        )
    assert cache.misses == 2 and cache.hits == 2


def test_a_model_that_is_not_a_folder_is_not_cached(tiny_bert_path, cache):
    encoder = Encoder.from_models([load_model_and_tokenizer(tiny_bert_path)])
    encoder.encode(SENTENCES, cache=cache)
    assert not cache.folder.exists() or not any(cache.folder.iterdir())


@pytest.mark.parametrize("batch_size, budget", [(3, 10**6), (100, 12), (2, 5), (1, 1)])
def test_batches_hold_every_row_once_within_both_budgets(batch_size, budget):
    lengths = [5, 3, 3, 3, 3, 9, 1, 3, 3, 7, 3]  # a run of equal lengths crosses boundaries
    batches = length_sorted_batches(lengths, batch_size, budget)
    rows = np.concatenate(batches)
    assert sorted(rows.tolist()) == list(range(len(lengths)))
    assert [lengths[row] for row in rows] == sorted(lengths)
    # stable: equal lengths keep their input order across batch boundaries
    threes = [row for row in rows.tolist() if lengths[row] == 3]
    assert threes == sorted(threes)
    for batch in batches:
        longest = max(lengths[row] for row in batch)
        assert len(batch) <= batch_size
        assert len(batch) == 1 or len(batch) * longest <= budget
