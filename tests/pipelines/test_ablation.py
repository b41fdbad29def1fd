"""The seeded ablation study end to end on ``conf/test`` (2 seeds x 3 joint variants): the
grid of namespaces, one MLflow child run per trained model tagged with seed and variant, the
per-pair scores and the analysis."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pandas as pd
import pytest
import yaml
from kedro.framework.startup import bootstrap_project

from jtcse.data.senteval import ALL_TASKS
from jtcse.evaluation.suite import evaluate_encoder
from jtcse.pipeline_registry import register_pipelines
from jtcse.pipelines.ablation.pipeline import create_pipeline

CONF = Path(__file__).resolve().parents[2] / "conf"
ROWS = ["tower_1", "tower_2", "towers_ensemble", "tncse", "jtcse", "jtcse_no_modulus", "jtcse_d"]


def test_the_grid_has_a_namespace_per_seed_and_variant():
    grid = create_pipeline(seeds=[1, 2, 3], variants=["tncse", "jtcse", "jtcse_n1"])
    names = {node.name for node in grid.nodes}
    for seed in (1, 2, 3):
        for run in ("tower_1", "tower_2", "tncse", "jtcse", "jtcse_n1", "jtcse_d"):
            assert f"ablation.seed_{seed}.{run}.train" in names
        assert f"ablation.seed_{seed}.score" in names
    assert "ablation.analyse" in names and len(names) == 3 * 7 + 1
    bootstrap_project(CONF.parent)
    registered = register_pipelines()
    assert "ablation.analyse" in {node.name for node in registered["ablation"].nodes}
    assert not any(node.name.startswith("ablation.") for node in registered["__default__"].nodes)


def test_the_grid_needs_the_jtcse_variant_for_distillation():
    with pytest.raises(ValueError, match=r"ablation\.variants must hold 'jtcse'"):
        create_pipeline(seeds=[1], variants=["tncse"])


def test_ablation_study_end_to_end(
    test_project: Path, run_pipelines, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEDRO_ENV", "test")  # the grid of conf/test
    run_pipelines(["data_preparation", "ablation"])

    results = json.loads((test_project / "data/08_reporting/ablation/ablation.json").read_text())
    assert results["seeds"] == [1, 2]
    assert [row["variant"] for row in results["summary"]] == ROWS
    assert all(row["seeds"] == 2 and row["avg_std"] is not None for row in results["summary"])
    differences = pd.DataFrame(results["differences"])
    assert sorted(set(differences["reference"])) == ["tncse", "towers_ensemble"]
    assert len(differences) == 2 * (len(ROWS) - 1)
    for row in differences.to_dict("records"):
        assert row["t_low"] <= row["mean"] <= row["t_high"]
    assert (test_project / "data/08_reporting/ablation/ablation.png").stat().st_size > 0
    table = (test_project / "data/08_reporting/ablation/ablation.md").read_text()
    assert "| jtcse_no_modulus | 2 |" in table and "95% bootstrap (pairs)" in table
    assert "mean ± std over seeds 1, 2 (each seed" in table

    scores = pd.DataFrame(results["scores"]).set_index(["seed", "variant"])
    # each seed trains its own towers ...
    assert scores.loc[(1, "tower_1"), "avg"] != scores.loc[(2, "tower_1"), "avg"]
    # ... and its rows are what the evaluation pipeline's scorer gives the same folders
    work = test_project / "data/07_model_output/work"
    towers = [work / f"ablation.seed_2.tower_{k}" / "best" for k in (1, 2)]
    sts_pairs = pd.read_parquet(test_project / "data/03_primary/sts_pairs.parquet")
    ensemble = evaluate_encoder(sts_pairs, [str(folder) for folder in towers])
    for task in (*ALL_TASKS, "avg"):
        expected = ensemble.scores[task]
        assert scores.loc[(2, "towers_ensemble"), task] == pytest.approx(expected, abs=1e-4)

    bootstrap_project(test_project)
    runs = mlflow.search_runs(search_all_experiments=True)
    trained = runs[runs["tags.variant"].notna()]
    tagged = set(zip(trained["tags.seed"], trained["tags.variant"], strict=True))
    expected_runs = {
        (str(seed), row) for seed in (1, 2) for row in ROWS if row != "towers_ensemble"
    }
    assert tagged == expected_runs
    assert (trained["tags.mlflow.parentRunId"].notna()).all()
    # the training metrics of each model went to its own child run
    assert trained.loc[trained["tags.variant"] == "jtcse", "metrics.jtcse.loss"].notna().all()


def test_the_shipped_grids_are_valid_parameters():
    from jtcse.parameters import validate_parameters

    for env, depth in (("base", 6), ("test", 2)):
        parameters = {}
        for stage in ("tower_training", "jtcse_training", "ablation"):
            parameters.update(yaml.safe_load((CONF / env / f"parameters_{stage}.yml").read_text()))
        validate_parameters(parameters, model_depth=lambda model, depth=depth: depth)
        parameters["ablation"]["variants"]["jtcse"]["settings"]["dropout"] = 1.5
        with pytest.raises(ValueError, match=r"ablation\.variants\.jtcse"):
            validate_parameters(parameters, model_depth=lambda model, depth=depth: depth)
