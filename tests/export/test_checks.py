"""The export gates: parity with PyTorch and the int8 quality check."""

from __future__ import annotations

import pytest
from kedro.io import DatasetError

from jtcse.datasets import ModelFolderDataset
from jtcse.export.checks import export_and_check, parity_sentences
from jtcse.export.thresholds import ExportThresholds
from jtcse.modeling.folders import ONNX_MODEL_FILE
from tests.fixtures.training_runs import CORPUS


def test_parity_sentences_mix_first_and_longest_without_duplicates():
    corpus = ["a b", "a much longer sentence here", "c", "the longest sentence of them all here"]
    chosen = parity_sentences(corpus, 2)
    assert chosen == ["a b", "a much longer sentence here", "the longest sentence of them all here"]


def test_export_and_check_passes_and_reports(tiny_bert_path, sts_dev, tmp_path):
    report = export_and_check(
        tiny_bert_path,
        tmp_path / "onnx",
        tmp_path / "int8",
        CORPUS,
        sts_dev,
        ExportThresholds(max_int8_dev_drop=100.0),
    )
    assert report["max_abs_difference"] < 1e-4 < report["max_abs_difference_limit"]
    assert report["min_cosine"] > 0.9999
    assert {"dev_fp32", "dev_int8", "max_int8_dev_drop_limit"} <= set(report)
    assert ModelFolderDataset(str(tmp_path / "int8"), marker=ONNX_MODEL_FILE).load()


def test_a_failed_parity_check_fails_with_the_numbers(tiny_bert_path, sts_dev, tmp_path):
    strict = ExportThresholds(max_abs_difference=1e-15)
    with pytest.raises(
        ValueError, match=r"ONNX parity failed .* max abs difference .* > 1\.00e-15"
    ):
        export_and_check(
            tiny_bert_path, tmp_path / "onnx", tmp_path / "int8", CORPUS, sts_dev, strict
        )


def test_thresholds_are_validated():
    with pytest.raises(ValueError, match="max_int8_dev_drop"):
        ExportThresholds(max_int8_dev_drop=-1.0)
    with pytest.raises(ValueError, match="min_cosine"):
        ExportThresholds(min_cosine=1.5)


def test_model_folder_dataset_refuses_an_unfinished_onnx_folder(tmp_path):
    with pytest.raises(DatasetError, match=r"no onnx/model\.onnx"):
        ModelFolderDataset(str(tmp_path), marker=ONNX_MODEL_FILE).load()
