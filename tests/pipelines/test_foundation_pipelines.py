"""End to end: ``data_preparation`` on ``conf/test`` (evaluation runs in the training test)."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pandas as pd

from jtcse.data.senteval import ALL_TASKS


def test_data_preparation(test_project: Path, run_pipelines) -> None:
    run_pipelines(["data_preparation"])

    pairs = pd.read_parquet(test_project / "data/03_primary/sts_pairs.parquet")
    assert set(pairs["task"]) == set(ALL_TASKS)
    corpus = (test_project / "data/05_model_input/training_corpus.txt").read_text().splitlines()
    statistics = json.loads((test_project / "data/08_reporting/corpus_statistics.json").read_text())
    assert len(corpus) == statistics["output"] == 40  # conf/test subsamples 40 sentences
    assert statistics["empty"] == 1 and statistics["too_short"] == 1
    assert statistics["duplicate"] == 1
    assert len(set(corpus)) == len(corpus)

    mlflow.set_tracking_uri(f"sqlite:///{test_project / 'mlflow.db'}")
    runs = mlflow.search_runs(experiment_names=["jtcse"])
    assert len(runs) == 1  # one MLflow run per `kedro run`
    run = runs.iloc[0]
    assert run["metrics.pairs.SICKRelatedness.test"] == 6
    assert run["metrics.corpus.output"] == 40
    assert run["params.data_preparation.corpus.max_sentences"] == "40"
