"""The planner from encoder specs to loaded encoders (jtcse.encoding.plan), on tiny BERTs:
one forward pass per (model, bf16) without a cache, the spec's weights, and an identity (the
mteb revision) that changes with what changes the numbers."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoModel, AutoTokenizer

from jtcse.encoding import Encoder, PooledModelEncoder
from jtcse.encoding.plan import load_encoders
from jtcse.evaluation.specs import parse_specs
from jtcse.evaluation.suite import encoder_embeddings
from tests.encoding.test_pytorch import SENTENCES


@pytest.fixture
def forward_calls(monkeypatch: pytest.MonkeyPatch) -> Counter[tuple[str, str]]:
    """Count the batches that go through each (model folder, dtype); the forward still runs."""
    calls: Counter[tuple[str, str]] = Counter()
    forward = PooledModelEncoder.forward

    def counted(self: PooledModelEncoder, batch: dict) -> object:
        calls[str(self.source), str(self.model.dtype)] += 1
        return forward(self, batch)

    monkeypatch.setattr(PooledModelEncoder, "forward", counted)
    return calls


def test_each_model_and_precision_runs_once_for_every_pooling_and_spec(
    tiny_bert_path: Path, tiny_bert_path_b: Path, forward_calls: Counter[tuple[str, str]]
) -> None:
    a, b = str(tiny_bert_path), str(tiny_bert_path_b)
    specs = {
        "a_cls": {"models": [a]},
        "a_mean": {"models": [a], "pooling": "mean"},
        "weighted": {"models": [a, b], "pooling": ["mean", "cls"], "weights": [0.3, 0.7]},
        "a_bf16": {"models": [a], "pooling": "mean", "bf16": True},
    }
    Encoder.load(b).encode(SENTENCES, batch_size=3)
    one_pass = forward_calls[b, "torch.float32"]
    assert one_pass > 1  # several batches: a pass is all of them
    forward_calls.clear()
    rows = encoder_embeddings(SENTENCES, specs, batch_size=3)  # no cache
    assert forward_calls == {
        (a, "torch.float32"): one_pass,
        (b, "torch.float32"): one_pass,
        (a, "torch.bfloat16"): one_pass,
    }
    weighted = Encoder.load([a, b], ["mean", "cls"], weights=[0.3, 0.7]).encode(SENTENCES, 3)
    np.testing.assert_array_equal(rows["weighted"], weighted)
    np.testing.assert_array_equal(rows["a_mean"], Encoder.load(a, "mean").encode(SENTENCES, 3))


def test_the_revision_changes_with_the_weights_or_one_models_pooling(
    tiny_bert_path: Path, tiny_bert_path_b: Path
) -> None:
    from jtcse.evaluation.mteb_model import revision_digest

    base = {"models": [str(tiny_bert_path), str(tiny_bert_path_b)], "pooling": ["mean", "cls"]}
    specs = {
        "plain": base,
        "weighted": base | {"weights": [0.3, 0.7]},
        "reweighted": base | {"weights": [0.7, 0.3]},
        "second_mean": base | {"pooling": ["mean", "mean"]},
        "normalized": base | {"normalize": True},
    }
    loaded = load_encoders(parse_specs(specs))
    revisions = {name: revision_digest(encoder.identity) for name, encoder in loaded.items()}
    assert len(set(revisions.values())) == len(specs)
    assert loaded["weighted"].identity["weights"] == [0.3, 0.7]
    assert loaded["second_mean"].identity["poolings"] == ["mean", "mean"]
    assert loaded["plain"].framework == "PyTorch"
    again = load_encoders(parse_specs({"plain": base}))["plain"]
    assert revision_digest(again.identity) == revisions["plain"]


def test_max_length_truncates_a_member_and_is_part_of_its_identity(
    tiny_bert_path: Path, forward_calls: Counter[tuple[str, str]]
) -> None:
    a = str(tiny_bert_path)
    specs = parse_specs(
        {"short": {"models": [a], "max_length": 4}, "full": {"models": [a]}},
        max_length=None,
    )
    loaded = load_encoders(specs)
    long_sentence = ["one two three four five six seven eight nine ten"]
    short, full = (loaded[name].encode(long_sentence, 8) for name in ("short", "full"))
    # an independent reference: the model's [CLS] row of the first 4 tokens
    model = AutoModel.from_pretrained(a).eval()
    tokens = AutoTokenizer.from_pretrained(a)(
        long_sentence, truncation=True, max_length=4, return_tensors="pt"
    )
    assert tokens["input_ids"].shape == (1, 4)
    with torch.no_grad():
        reference = model(**tokens).last_hidden_state[:, 0].numpy()
    np.testing.assert_allclose(short, reference, atol=1e-6)
    assert not np.allclose(short, full, atol=1e-4)
    assert loaded["short"].identity != loaded["full"].identity
    assert len(forward_calls) == 1 and sum(forward_calls.values()) == 2  # two loads, one each
    # a default for every spec that sets none
    defaulted = parse_specs(
        {"x": {"models": [a]}, "y": {"models": [a], "max_length": 9}}, False, None, 6
    )
    assert (defaulted["x"].max_length, defaulted["y"].max_length) == (6, 9)


@pytest.mark.parametrize("value", [0, -3, True, 2.5, "256"])
def test_a_bad_max_length_is_named(value: object) -> None:
    with pytest.raises(ValueError, match=r"evaluation\.encoders\.x: max_length must be a positive"):
        parse_specs({"x": {"models": ["m"], "max_length": value}})


def test_a_coupled_encoder_refuses_max_length() -> None:
    with pytest.raises(ValueError, match="no max_length"):
        parse_specs({"x": {"models": ["t1", "t2"], "coupled": True, "max_length": 64}})
