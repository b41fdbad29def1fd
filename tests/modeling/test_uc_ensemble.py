"""The UC ensemble, e_UC = (1 - w)(h1_CLS + h2_CLS) + w h_ext: members with their own
tokenizer and pooling, the width check, its evaluation from cached member rows, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from jtcse.console import main
from jtcse.data.senteval import EVALUATION_SPLITS, read_sts_tasks
from jtcse.encoding import Encoder
from jtcse.encoding.cache import EmbeddingCache
from jtcse.evaluation.sts import evaluate_sts
from jtcse.evaluation.suite import evaluate_encoders
from jtcse.modeling.uc_ensemble import UcEnsemble, weighted_spec_formula
from tests.fixtures.senteval import write_senteval_fixture
from tests.fixtures.tiny_bert import TINY_CORPUS, build_tiny_bert

SENTENCES = ["a man is playing a guitar .", "the cat sits on the mat .", "someone cooks ."]


@pytest.fixture(scope="module")
def external(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An external encoder of the towers' width with a tokenizer of its own vocabulary."""
    corpus = [*TINY_CORPUS, "someone cooks .", "an external model with other words ."]
    return build_tiny_bert(tmp_path_factory.mktemp("external"), seed=7, corpus=corpus)


@pytest.fixture(scope="module")
def sts_table(tmp_path_factory: pytest.TempPathFactory):
    root = write_senteval_fixture(tmp_path_factory.mktemp("data") / "senteval")
    return root, read_sts_tasks(root, splits=EVALUATION_SPLITS)


def test_the_uc_embedding_is_the_weighted_sum_of_its_members(
    tiny_bert_path, tiny_bert_path_b, external
) -> None:
    uc = UcEnsemble(str(external), "mean", 0.7)
    models, poolings, weights = uc.members([str(tiny_bert_path), str(tiny_bert_path_b)])
    assert (poolings, weights) == (["cls", "cls", "mean"], pytest.approx([0.3, 0.3, 0.7]))
    encoder = Encoder.load(models, poolings, weights=weights)
    assert len(encoder.members[0].tokenizer) != len(encoder.members[2].tokenizer)
    pair = Encoder.load([tiny_bert_path, tiny_bert_path_b]).encode(SENTENCES)
    alone = Encoder.load(external, "mean").encode(SENTENCES)
    np.testing.assert_allclose(
        encoder.encode(SENTENCES), 0.3 * pair + 0.7 * alone, rtol=1e-5, atol=1e-6
    )


def test_members_of_another_width_are_refused_by_name(tiny_bert_path, tmp_path) -> None:
    wide = build_tiny_bert(tmp_path / "wide", hidden_size=48)
    with pytest.raises(ValueError, match=rf"width; got {tiny_bert_path}: 32, {wide}: 48"):
        Encoder.load([tiny_bert_path, wide], ["cls", "mean"], weights=[0.3, 0.7])
    with pytest.raises(ValueError, match="pooling: 3 values for 2 models"):
        Encoder.load([tiny_bert_path, tiny_bert_path], ["cls", "cls", "mean"])
    with pytest.raises(ValueError, match="1 weights for 2 ensemble members"):
        Encoder.load([tiny_bert_path, tiny_bert_path], weights=[1.0])


def test_uc_settings_are_checked() -> None:
    with pytest.raises(ValueError, match=r"w must be in \[0, 1\]"):
        UcEnsemble("external", "mean", 1.5)
    with pytest.raises(ValueError, match="external_pooling"):
        UcEnsemble("external", "max")


def test_the_uc_row_is_the_weighted_sum_of_cached_member_rows(
    tiny_bert_path, tiny_bert_path_b, external, sts_table, tmp_path
) -> None:
    _, table = sts_table
    cache = EmbeddingCache(tmp_path / "cache")
    pair = [str(tiny_bert_path), str(tiny_bert_path_b)]
    alone = {"pair": {"models": pair}, "external": {"models": [str(external)], "pooling": "mean"}}
    evaluate_encoders(table, alone, cache=cache)
    misses = cache.misses
    uc = {"models": pair, "uc": {"external_model": str(external), "w": 0.7}}
    result = evaluate_encoders(table, {"jtcse_uc": uc}, cache=cache)["jtcse_uc"]
    assert cache.misses == misses  # nothing encoded again: the members' rows were cached
    encoder = Encoder.load([*pair, external], ["cls", "cls", "mean"], weights=[0.3, 0.3, 0.7])
    assert result.scores == pytest.approx(evaluate_sts(table, encoder.encode).scores, abs=1e-6)
    with pytest.raises(ValueError, match=r"encoders\.bad: 'uc' sets the poolings and weights"):
        evaluate_encoders(table, {"bad": {**uc, "pooling": "cls"}}, cache=cache)
    with pytest.raises(ValueError, match=r"encoders\.bad\.uc\.weight: unknown key"):
        evaluate_encoders(table, {"bad": {"models": pair, "uc": {"weight": 0.7}}}, cache=cache)


def test_the_cli_evaluates_a_weighted_ensemble(
    tiny_bert_path, tiny_bert_path_b, external, sts_table, tmp_path, capsys
) -> None:
    root, table = sts_table
    models = [tiny_bert_path, tiny_bert_path_b, external]
    arguments = ["evaluate", *(f"--model={model}" for model in models), "--data", str(root)]
    weighted = [*arguments, "--weights", "0.15", "0.15", "0.7", "--pooling", "cls", "cls", "mean"]
    output = tmp_path / "uc.json"
    assert main([*weighted, "--output", str(output)]) == 0
    assert f"0.7 {external} (mean)" in capsys.readouterr().out
    encoder = Encoder.load(models, ["cls", "cls", "mean"], weights=[0.15, 0.15, 0.7])
    expected = evaluate_sts(table, encoder.encode).rounded()
    assert json.loads(output.read_text()) == expected
    assert main([*arguments, "--weights", "0.5", "0.5"]) == 2
    assert "2 weights for 3 ensemble members" in capsys.readouterr().err


def test_a_weighted_row_states_its_formula() -> None:
    uc = {"models": ["t1", "t2"], "uc": {"external_model": "ext", "w": 0.7}}
    assert weighted_spec_formula(uc) == "0.3 t1 (cls) + 0.3 t2 (cls) + 0.7 ext (mean)"
    weighted = {"models": ["a", "b"], "pooling": ["cls", "mean"], "weights": [0.5, 2]}
    assert weighted_spec_formula(weighted) == "0.5 a (cls) + 2 b (mean)"
    assert weighted_spec_formula({"models": ["a", "b"]}) is None  # a plain sum
