"""End to end: ``data_preparation`` then ``evaluation`` on ``conf/test``."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pandas as pd

from jtcse.evaluation.sts import RESULT_KEYS


def test_data_preparation_then_evaluation(test_project: Path, run_pipelines) -> None:
    run_pipelines(["data_preparation", "evaluation"])

    pairs = pd.read_parquet(test_project / "data/03_primary/sts_pairs.parquet")
    assert set(pairs["task"]) == {
        "STS12",
        "STS13",
        "STS14",
        "STS15",
        "STS16",
        "STSBenchmark",
        "SICKRelatedness",
    }
    corpus = (test_project / "data/05_model_input/training_corpus.txt").read_text().splitlines()
    statistics = json.loads((test_project / "data/08_reporting/corpus_statistics.json").read_text())
    assert len(corpus) == statistics["output"] == 40  # conf/test subsamples 40 sentences
    assert statistics["empty"] == 1 and statistics["too_short"] == 1
    assert statistics["duplicate"] == 1
    assert len(set(corpus)) == len(corpus)

    results = json.loads((test_project / "data/08_reporting/sts_results.json").read_text())
    assert set(results) == {"tiny_cls", "tiny_mean"}
    for scores in results.values():
        assert set(scores) == {*RESULT_KEYS, "STSBenchmark-dev"}
        assert all(-100.0 <= value <= 100.0 for value in scores.values())
    assert results["tiny_cls"] != results["tiny_mean"]
    markdown = (test_project / "data/08_reporting/sts_results.md").read_text()
    assert "| tiny_cls |" in markdown

    mlflow.set_tracking_uri(f"sqlite:///{test_project / 'mlflow.db'}")
    runs = mlflow.search_runs(experiment_names=["jtcse"])
    assert len(runs) == 1  # one MLflow run per `kedro run`
    run = runs.iloc[0]
    assert run["metrics.tiny_cls.avg"] == results["tiny_cls"]["avg"]
    assert run["metrics.corpus.output"] == 40
    assert run["params.data_preparation.corpus.max_sentences"] == "40"
