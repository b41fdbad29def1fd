"""The export gates: parity with PyTorch and the int8 quality check, each seen to fire."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from kedro.io import DatasetError
from transformers import AutoModel, AutoTokenizer

from jtcse.datasets import ModelFolderDataset
from jtcse.export.checks import check_parity, export_and_check, parity_sentences
from jtcse.export.onnx import export_onnx, parity
from jtcse.export.thresholds import ExportThresholds
from jtcse.modeling.folders import ONNX_MODEL_FILE
from tests.fixtures.training_runs import CORPUS

# Parity limits no correct export comes near, for the tests of the int8 gate.
LOOSE_PARITY = {"max_abs_difference": 1.0, "min_cosine": 0.5}


@pytest.fixture(scope="module")
def fp32_gold_dev(tiny_bert_path: Path) -> pd.DataFrame:
    """STS-B dev pairs (every pair of the corpus) whose gold scores are the float32 model's own
    cosines, computed apart (each sentence alone, float64): the fp32 model scores 100 on
    them, and every pair the int8 copy puts in another order lowers the int8 score."""
    model = AutoModel.from_pretrained(tiny_bert_path).eval()
    tokenizer = AutoTokenizer.from_pretrained(tiny_bert_path)
    with torch.no_grad():
        rows = {
            sentence: model(**tokenizer(sentence, return_tensors="pt"))
            .last_hidden_state[0, 0]
            .double()
            .numpy()
            for sentence in CORPUS
        }
    pairs = list(itertools.combinations(CORPUS, 2))
    gold = [
        rows[a] @ rows[b] / (np.linalg.norm(rows[a]) * np.linalg.norm(rows[b])) for a, b in pairs
    ]
    return pd.DataFrame(
        {
            "task": "STSBenchmark",
            "subset": "",
            "split": "dev",
            "sentence1": [a for a, _ in pairs],
            "sentence2": [b for _, b in pairs],
            "score": gold,
        }
    )


def test_parity_sentences_mix_first_and_longest_without_duplicates():
    corpus = ["a b", "a much longer sentence here", "c", "the longest sentence of them all here"]
    chosen = parity_sentences(corpus, 2)
    assert chosen == ["a b", "a much longer sentence here", "the longest sentence of them all here"]


def test_export_and_check_passes_at_the_default_limits_and_reports(
    tiny_bert_path, fp32_gold_dev, tmp_path
):
    report = export_and_check(
        tiny_bert_path,
        tmp_path / "onnx",
        tmp_path / "int8",
        CORPUS,
        fp32_gold_dev,
        ExportThresholds(),
    )
    assert report["max_abs_difference"] < 1e-4 < report["max_abs_difference_limit"]
    assert report["min_cosine"] > 0.9999
    assert report["dev_fp32"] == pytest.approx(100.0)
    # int8 reorders a few of the 276 near-equal cosines, less than the 0.3-point allowance
    assert 100.0 - 0.3 < report["dev_int8"] < 100.0
    assert report["max_int8_dev_drop_limit"] == 0.3
    assert ModelFolderDataset(str(tmp_path / "int8"), marker=ONNX_MODEL_FILE).load()


def test_the_int8_gate_fires_on_a_drop_over_its_limit(tiny_bert_path, fp32_gold_dev, tmp_path):
    strict = ExportThresholds(**LOOSE_PARITY, max_int8_dev_drop=0.01)
    with pytest.raises(
        ValueError,
        match=r"int8 quality check failed .* STS-B dev 99\.\d+ is 0\.\d+ points below fp32 "
        r"\(100\.00\); limit 0\.01",
    ):
        export_and_check(
            tiny_bert_path, tmp_path / "onnx", tmp_path / "int8", CORPUS, fp32_gold_dev, strict
        )


def test_a_failed_parity_check_fails_with_the_numbers(tiny_bert_path, sts_dev, tmp_path):
    strict = ExportThresholds(max_abs_difference=1e-15)
    with pytest.raises(
        ValueError, match=r"ONNX parity failed .* max abs difference .* > 1\.00e-15"
    ):
        export_and_check(
            tiny_bert_path, tmp_path / "onnx", tmp_path / "int8", CORPUS, sts_dev, strict
        )


def test_the_min_cosine_gate_fires_on_rows_of_another_model(
    tiny_bert_path, tiny_bert_path_b, tmp_path
):
    onnx_path = export_onnx(tiny_bert_path, tmp_path / "onnx")
    report = parity(tiny_bert_path_b, onnx_path, CORPUS)
    thresholds = ExportThresholds(max_abs_difference=100.0)
    assert report["max_abs_difference"] < thresholds.max_abs_difference  # only the cosine fails
    with pytest.raises(ValueError, match=r"ONNX parity failed .* min cosine -?\d\.\d+ < 0\.9999"):
        check_parity(report, thresholds, onnx_path, "ONNX")
    check_parity(parity(tiny_bert_path, onnx_path, CORPUS), thresholds, onnx_path, "ONNX")


def test_thresholds_are_validated():
    with pytest.raises(ValueError, match="max_int8_dev_drop"):
        ExportThresholds(max_int8_dev_drop=-1.0)
    with pytest.raises(ValueError, match="min_cosine"):
        ExportThresholds(min_cosine=1.5)


def test_model_folder_dataset_refuses_an_unfinished_onnx_folder(tmp_path):
    with pytest.raises(DatasetError, match=r"no onnx/model\.onnx"):
        ModelFolderDataset(str(tmp_path), marker=ONNX_MODEL_FILE).load()
