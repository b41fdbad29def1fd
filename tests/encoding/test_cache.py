"""The embedding cache (jtcse.encoding.cache) and the batching it relies on, on tiny BERTs."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from jtcse.encoding import Encoder, PooledModelEncoder, load_pooled_model
from jtcse.encoding.base import length_sorted_batches
from jtcse.encoding.cache import CACHE_FORMAT, EmbeddingCache, sentences_digest
from jtcse.modeling.folders import save_model_folder
from jtcse.modeling.lean_bert import LeanBert
from jtcse.modeling.loading import load_model_and_tokenizer
from jtcse.modeling.names import local_folder
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


def test_another_forward_pass_is_another_entry(tiny_bert_path, cache):
    """The default (LeanBert, SDPA) and transformers' eager BertModel: two entries."""
    default = load_pooled_model(tiny_bert_path)
    assert isinstance(default.model, LeanBert) and default.model.attention == "sdpa"
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


# The cache on its own: arrays from a plain function, so each read and write is visible.
IDENTITY = {"model": "sha256:abc", "pooling": "cls"}
ROWS = np.arange(12, dtype=np.float64).reshape(4, 3) / 7  # float64: stored as float32


class Computations:
    """A compute function that returns ``arrays`` and counts its calls."""

    def __init__(self, *arrays: np.ndarray) -> None:
        self.arrays, self.calls = list(arrays), 0

    def __call__(self) -> list[np.ndarray]:
        self.calls += 1
        return self.arrays


def test_sentences_digest_is_the_sha256_of_the_nul_terminated_sentences():
    expected = hashlib.sha256("ab\0c\0é\0".encode()).hexdigest()
    assert sentences_digest(["ab", "c", "é"]) == expected
    assert sentences_digest(["a", "bc", "é"]) != expected
    assert sentences_digest([]) == hashlib.sha256(b"").hexdigest()


def test_an_entry_is_written_once_with_its_manifest_then_read_back(cache):
    sentences = list(SENTENCES[:4])
    compute = Computations(ROWS)

    first = cache.get_or_compute([IDENTITY], sentences, compute)

    assert compute.calls == 1 and (cache.hits, cache.misses) == (0, 1)
    np.testing.assert_array_equal(first[0], ROWS)
    (array_path,) = cache.folder.glob("*.npy")
    (manifest_path,) = cache.folder.glob("*.json")
    assert array_path.stem == manifest_path.stem and len(array_path.stem) == 32
    assert sorted(path.name for path in cache.folder.iterdir()) == sorted(
        [array_path.name, manifest_path.name]
    )
    manifest = json.loads(manifest_path.read_text())
    assert manifest["shape"] == [4, 3]
    assert manifest["sha256"] == hashlib.sha256(array_path.read_bytes()).hexdigest()
    key = manifest["key"]
    assert key["format"] == CACHE_FORMAT and key["encoder"] == IDENTITY
    assert key["sentences"] == sentences_digest(sentences)
    assert key["libraries"] == {
        name: version(name) for name in ("torch", "transformers", "onnxruntime")
    }
    stored = np.load(array_path, allow_pickle=False)
    assert stored.dtype == np.float32 and stored.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(stored, ROWS.astype(np.float32))

    again = cache.get_or_compute([IDENTITY], sentences, Computations())

    assert (cache.hits, cache.misses) == (1, 1)
    assert again[0].dtype == np.float32
    np.testing.assert_array_equal(again[0], ROWS.astype(np.float32))
    other = EmbeddingCache(cache.folder).get_or_compute(
        [{**IDENTITY, "pooling": "mean"}], sentences, Computations(ROWS + 1)
    )
    np.testing.assert_array_equal(other[0], ROWS + 1)  # another identity: another entry
    assert len(list(cache.folder.glob("*.npy"))) == 2


def test_only_the_missing_identities_are_written_and_counted(cache):
    sentences = list(SENTENCES[:4])
    cache.get_or_compute([IDENTITY], sentences, Computations(ROWS))
    cache.get_or_compute([IDENTITY], sentences, Computations())
    mean = {**IDENTITY, "pooling": "mean"}
    written = {path.name: path.stat().st_mtime_ns for path in cache.folder.iterdir()}

    rows = cache.get_or_compute([IDENTITY, mean], sentences, Computations(ROWS + 5, ROWS + 1))

    assert (cache.hits, cache.misses) == (2, 2)
    np.testing.assert_array_equal(rows[1], ROWS + 1)
    for name, mtime in written.items():  # the cached entry was not written again
        assert (cache.folder / name).stat().st_mtime_ns == mtime
    assert len(list(cache.folder.glob("*.npy"))) == 2
    fresh = EmbeddingCache(cache.folder)
    both = fresh.get_or_compute([IDENTITY, mean], sentences, Computations())
    np.testing.assert_array_equal(both[0], ROWS.astype(np.float32))
    np.testing.assert_array_equal(both[1], (ROWS + 1).astype(np.float32))
    assert (fresh.hits, fresh.misses) == (2, 0)


def _damage_manifest(cache: EmbeddingCache, change) -> Path:
    (manifest_path,) = cache.folder.glob("*.json")
    manifest = json.loads(manifest_path.read_text())
    change(manifest)
    manifest_path.write_text(json.dumps(manifest))
    return manifest_path


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (lambda m: m["key"].update(format=0), "its manifest records another key"),
        (lambda m: m.update(shape=[5, 3]), "it has 5 rows, not 4"),
        (lambda m: m.pop("shape"), "it has None rows, not 4"),
        (
            lambda m: m.update(sha256="0" * 64),
            "its bytes do not match the manifest's sha256 (truncated or replaced)",
        ),
        (lambda m: m.update(shape=[4, 2]), "array of shape (4, 3), manifest says [4, 2]"),
    ],
    ids=["key", "rows", "no-shape", "sha256", "columns"],
)
def test_a_manifest_that_does_not_vouch_for_the_array_is_recomputed(cache, caplog, damage, problem):
    sentences = list(SENTENCES[:4])
    cache.get_or_compute([IDENTITY], sentences, Computations(ROWS))
    _damage_manifest(cache, damage)
    (array_path,) = cache.folder.glob("*.npy")
    compute = Computations(ROWS + 2)

    with caplog.at_level(logging.WARNING, logger="jtcse.encoding.cache"):
        rows = cache.get_or_compute([IDENTITY], sentences, compute)

    assert compute.calls == 1 and (cache.hits, cache.misses) == (0, 2)
    np.testing.assert_array_equal(rows[0], ROWS + 2)
    assert caplog.messages == [f"embedding cache: ignoring {array_path}: {problem}; recomputing"]
    again = cache.get_or_compute([IDENTITY], sentences, Computations())  # rewritten: trusted
    np.testing.assert_array_equal(again[0], (ROWS + 2).astype(np.float32))


@pytest.mark.parametrize("damage", ["manifest", "array"])
def test_an_unreadable_entry_is_recomputed(cache, caplog, damage):
    sentences = list(SENTENCES[:4])
    cache.get_or_compute([IDENTITY], sentences, Computations(ROWS))
    (array_path,) = cache.folder.glob("*.npy")
    if damage == "manifest":
        next(cache.folder.glob("*.json")).write_text("{not json")
    else:
        array_path.unlink()
    compute = Computations(ROWS + 3)

    with caplog.at_level(logging.WARNING, logger="jtcse.encoding.cache"):
        rows = cache.get_or_compute([IDENTITY], sentences, compute)

    assert compute.calls == 1
    np.testing.assert_array_equal(rows[0], ROWS + 3)
    assert caplog.messages[0].startswith(f"embedding cache: ignoring {array_path}: unreadable (")


def test_the_version_of_a_missing_library_is_none():
    from jtcse.encoding.cache import _version

    assert _version("torch") == version("torch")
    assert _version("no-such-package-jtcse") is None


def test_the_order_of_an_identity_does_not_matter(cache):
    sentences = list(SENTENCES[:4])
    cache.get_or_compute([{"a": 1, "b": 2}], sentences, Computations(ROWS))
    again = cache.get_or_compute([{"b": 2, "a": 1}], sentences, Computations())
    assert cache.hits == 1
    np.testing.assert_array_equal(again[0], ROWS.astype(np.float32))


def test_compute_must_return_one_array_per_identity(cache):
    with pytest.raises(ValueError, match="zip"):
        cache.get_or_compute(
            [IDENTITY, {**IDENTITY, "pooling": "mean"}], list(SENTENCES[:4]), Computations(ROWS)
        )


def test_a_truncated_array_is_reported_by_its_digest(cache, caplog):
    sentences = list(SENTENCES[:4])
    cache.get_or_compute([IDENTITY], sentences, Computations(ROWS))
    (array_path,) = cache.folder.glob("*.npy")
    array_path.write_bytes(array_path.read_bytes()[:100])
    with caplog.at_level(logging.WARNING, logger="jtcse.encoding.cache"):
        cache.get_or_compute([IDENTITY], sentences, Computations(ROWS))
    assert caplog.messages == [
        f"embedding cache: ignoring {array_path}: its bytes do not match the manifest's sha256 "
        "(truncated or replaced); recomputing"
    ]


def test_a_pickled_entry_is_never_loaded(cache, caplog):
    sentences = list(SENTENCES[:4])
    cache.get_or_compute([IDENTITY], sentences, Computations(ROWS))
    (array_path,) = cache.folder.glob("*.npy")
    (manifest_path,) = cache.folder.glob("*.json")
    objects = np.empty(4, dtype=object)
    objects[:] = [{"row": index} for index in range(4)]
    np.save(array_path, objects, allow_pickle=True)
    manifest = json.loads(manifest_path.read_text())
    manifest.update(shape=[4], sha256=hashlib.sha256(array_path.read_bytes()).hexdigest())
    manifest_path.write_text(json.dumps(manifest))
    compute = Computations(ROWS)

    with caplog.at_level(logging.WARNING, logger="jtcse.encoding.cache"):
        rows = cache.get_or_compute([IDENTITY], sentences, compute)

    assert compute.calls == 1 and rows[0].dtype == np.float64
    assert "unreadable (" in caplog.text and "pickle" in caplog.text
