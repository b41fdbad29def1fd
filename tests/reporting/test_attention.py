"""Tests of the [CLS] attention mass per layer (jtcse.reporting.attention)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from transformers import AutoModel, AutoTokenizer

from jtcse.modeling.twin_tower import TwinTowerModel
from jtcse.modeling.twin_tower_config import TwinTowerConfig
from jtcse.reporting.attention import (
    attention_mass_table,
    compare_cls_attention_mass,
    pair_cls_attention_mass,
    stsb_dev_sentences,
)
from tests.fixtures.tiny_bert import TINY_CORPUS

SENTENCES = [
    "a man is playing a guitar .",
    "the cat sits on the mat .",
    "an old man is reading a newspaper on a bench .",
    "a boy jumps into the lake .",
    "a group of people are dancing on a stage .",
]


def _naive_mass_per_layer(path: Path, sentences: list[str]) -> np.ndarray:
    """Stock BERT attention probabilities (``output_attentions``) of one padded batch: per
    layer, A[:, :, q, 0] averaged over heads, then over every non-padding query q."""
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path, attn_implementation="eager").eval()
    batch = tokenizer(sentences, padding=True, return_tensors="pt")
    with torch.no_grad():
        attentions = model(**batch, output_attentions=True).attentions
    real = batch["attention_mask"].bool()
    return np.array([a[..., 0].mean(dim=1)[real].mean().item() for a in attentions])


def _twin(path_1: Path, path_2: Path, n: int) -> TwinTowerModel:
    return TwinTowerModel.from_towers(path_1, path_2, n).eval()


def test_uncoupled_mass_matches_stock_attentions_across_batches(tiny_bert_path, tiny_bert_path_b):
    tokenizer = AutoTokenizer.from_pretrained(tiny_bert_path)
    # batches of 2 are padded to other lengths than the single batch of the reference
    measured = pair_cls_attention_mass(
        _twin(tiny_bert_path, tiny_bert_path_b, 0), tokenizer, SENTENCES, batch_size=2
    )
    assert measured.shape == (2, 2)
    np.testing.assert_allclose(
        measured[0], _naive_mass_per_layer(tiny_bert_path, SENTENCES), atol=1e-6
    )
    np.testing.assert_allclose(
        measured[1], _naive_mass_per_layer(tiny_bert_path_b, SENTENCES), atol=1e-6
    )


def _sharp_tower(path: Path) -> torch.nn.Module:
    """A tiny tower whose queries and keys are scaled up (scores x 400), so that its attention
    is far from uniform (random tiny BERTs attend almost uniformly)."""
    tower = AutoModel.from_pretrained(path).eval()
    with torch.no_grad():
        for layer in tower.encoder.layer:
            layer.attention.self.query.weight.mul_(20.0)
            layer.attention.self.key.weight.mul_(20.0)
    return tower


def test_coupling_changes_the_mass_only_after_the_first_cross_attention_layer(
    tiny_bert_path, tiny_bert_path_b
):
    tokenizer = AutoTokenizer.from_pretrained(tiny_bert_path)
    towers = (_sharp_tower(tiny_bert_path), _sharp_tower(tiny_bert_path_b))
    alone = pair_cls_attention_mass(
        TwinTowerModel(*towers, TwinTowerConfig(0)), tokenizer, SENTENCES
    )
    # n = 2 of 2 layers: layer 1 couples; layer 2 then sees other hidden states
    coupled = pair_cls_attention_mass(
        TwinTowerModel(*towers, TwinTowerConfig(2)), tokenizer, SENTENCES
    )
    np.testing.assert_allclose(coupled[:, 0], alone[:, 0], atol=1e-7)
    assert np.abs(coupled[:, 1] - alone[:, 1]).min() > 1e-4  # float32 noise is ~1e-7
    assert ((coupled > 0) & (coupled < 1)).all()


def test_compare_reports_every_pair_mode_tower_and_layer(tiny_bert_path, tiny_bert_path_b):
    pairs = {
        "plain": (tiny_bert_path, tiny_bert_path_b),
        "swapped": (tiny_bert_path_b, tiny_bert_path),
    }
    result = compare_cls_attention_mass(pairs, SENTENCES, num_cross_attention_layers=1)
    assert json.loads(json.dumps(result)) == result  # JSON-ready
    assert result["sentences"] == len(SENTENCES)
    assert result["layers"] == [1, 2]
    assert result["cross_attention_layers"] == [2] and result["coupling"] == "value_swap"
    naive_a = _naive_mass_per_layer(tiny_bert_path, SENTENCES)
    naive_b = _naive_mass_per_layer(tiny_bert_path_b, SENTENCES)
    np.testing.assert_allclose(result["mass"]["plain"]["alone"]["tower_1"], naive_a, atol=1e-6)
    np.testing.assert_allclose(result["mass"]["swapped"]["alone"]["tower_1"], naive_b, atol=1e-6)
    # only the last layer couples, and a tower's probabilities there are still its own
    np.testing.assert_allclose(result["mass"]["plain"]["coupled"]["tower_2"], naive_b, atol=1e-6)

    table = attention_mass_table(result)
    assert list(table.columns) == ["pair", "mode", "tower", "layer", "mass"]
    assert len(table) == 2 * 2 * 2 * 2  # pairs x modes x towers x layers
    row = table.query("pair == 'swapped' and mode == 'alone' and tower == 'tower_2' and layer == 2")
    assert row["mass"].item() == pytest.approx(naive_a[1], abs=1e-6)


def test_bf16_mass_is_close_to_float32(tiny_bert_path, tiny_bert_path_b):
    pairs = {"pair": (tiny_bert_path, tiny_bert_path_b)}
    exact = compare_cls_attention_mass(pairs, SENTENCES, 2)
    rounded = compare_cls_attention_mass(pairs, SENTENCES, 2, bf16=True)
    for mode in ("alone", "coupled"):
        for tower in ("tower_1", "tower_2"):
            np.testing.assert_allclose(
                rounded["mass"]["pair"][mode][tower], exact["mass"]["pair"][mode][tower], atol=0.02
            )


def test_stsb_dev_sentences_are_distinct_and_in_table_order():
    table = pd.DataFrame(
        {
            "task": ["STSBenchmark"] * 3 + ["STS12"],
            "subset": ["sts-dev"] * 3 + ["MSRpar"],
            "split": ["dev", "dev", "test", "test"],
            "sentence1": ["a", "c", "test only", "sts12"],
            "sentence2": ["b", "a", "x", "y"],
            "score": [1.0, 2.0, 3.0, 4.0],
        }
    )
    assert stsb_dev_sentences(table, 10) == ["a", "b", "c"]
    assert stsb_dev_sentences(table, 2) == ["a", "b"]
    with pytest.raises(ValueError, match="num_sentences"):
        stsb_dev_sentences(table, 0)


def test_bad_arguments_are_refused(tiny_bert_path, tiny_bert_path_b):
    tokenizer = AutoTokenizer.from_pretrained(tiny_bert_path)
    model = _twin(tiny_bert_path, tiny_bert_path_b, 0)
    with pytest.raises(ValueError, match="batch_size"):
        pair_cls_attention_mass(model, tokenizer, TINY_CORPUS, batch_size=0)
    with pytest.raises(ValueError, match="sentences"):
        pair_cls_attention_mass(model, tokenizer, [])
    with pytest.raises(ValueError, match="pairs"):
        compare_cls_attention_mass({}, TINY_CORPUS, 1)
    with pytest.raises(ValueError, match="num_cross_attention_layers"):
        compare_cls_attention_mass({"pair": (tiny_bert_path, tiny_bert_path_b)}, TINY_CORPUS, 3)
