"""The seeded ablation study end to end on ``conf/test`` (2 seeds x 3 joint variants): the
grid of namespaces, one MLflow child run per trained model tagged with seed and variant, the
per-pair scores and the analysis."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import mlflow
import pandas as pd
import pytest
import yaml
from kedro.framework.startup import bootstrap_project

from jtcse.data.senteval import ALL_TASKS
from jtcse.evaluation.sts import DEV_KEY
from jtcse.evaluation.suite import evaluate_encoder
from jtcse.pipeline_registry import register_pipelines
from jtcse.pipelines.ablation.pipeline import study_pipeline

CONF = Path(__file__).resolve().parents[2] / "conf"
TRAINED = ["tower_1", "tower_2", "tncse", "jtcse", "jtcse_no_modulus", "jtcse_d"]
ROWS = ["base_cls", "base_mean", *TRAINED[:2], "towers_ensemble", *TRAINED[2:]]


def test_the_grid_has_a_namespace_per_seed_and_variant():
    grid = study_pipeline("ablation", seeds=[1, 2, 3], variants=["tncse", "jtcse", "jtcse_n1"])
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
        study_pipeline("ablation", seeds=[1], variants=["tncse"])


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
    assert "STSBenchmark-dev" in table.splitlines()[4]  # the table's header: dev beside avg

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
    assert scores.loc[(2, "towers_ensemble"), DEV_KEY] == pytest.approx(ensemble.dev, abs=1e-4)
    # the base rows are the base model of tower_training, untrained (the same in every seed)
    base = evaluate_encoder(sts_pairs, str(test_project / "data/01_raw/tiny_bert"), pooling="mean")
    for seed in (1, 2):
        assert scores.loc[(seed, "base_mean"), "avg"] == pytest.approx(base.scores["avg"], abs=1e-4)

    bootstrap_project(test_project)
    runs = mlflow.search_runs(search_all_experiments=True)
    trained = runs[runs["tags.variant"].notna()]
    tagged = set(zip(trained["tags.seed"], trained["tags.variant"], strict=True))
    expected_runs = {(str(seed), row) for seed in (1, 2) for row in TRAINED}
    assert tagged == expected_runs
    assert (trained["tags.mlflow.parentRunId"].notna()).all()
    # the training metrics of each model went to its own child run
    assert trained.loc[trained["tags.variant"] == "jtcse", "metrics.jtcse.loss"].notna().all()


def test_the_shipped_grids_are_valid_parameters():
    from jtcse.parameters import validate_parameters

    for env, depth in (("base", 6), ("test", 2)):
        parameters = {}
        stages = ("tower_training", "jtcse_training", "distillation", "ablation", "mlm_regime")
        for stage in stages:
            parameters[stage] = _stage_parameters(env, stage)
        validate_parameters(parameters, model_depth=lambda model, depth=depth: depth)
        for study in ("ablation", "mlm_regime"):
            broken = copy.deepcopy(parameters)
            broken[study]["variants"]["jtcse"]["settings"]["dropout"] = 1.5
            with pytest.raises(ValueError, match=rf"{study}\.variants\.jtcse"):
                validate_parameters(broken, model_depth=lambda model, depth=depth: depth)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"tower_training": {"training": {"learning_rat": 1e-4}}},
            r"mlm_regime\.overrides\.tower_training\.training\.learning_rat: unknown key",
        ),
        (
            {"tower_training": {"towers": {"tower_1": {"settings": {"dropout": 2.0}}}}},
            r"mlm_regime\.overrides: tower_training\.towers\.tower_1",
        ),
        (
            {"jtcse_training": {"settings": {"dropout": -1.0}}},
            r"mlm_regime\.variants\.",
        ),
        (
            {"distillation": {"settings": {"weight_contrastive": 3.0}}},
            r"mlm_regime\.overrides: distillation",
        ),
    ],
)
def test_study_overrides_are_checked_before_any_node(overrides: dict, message: str) -> None:
    from jtcse.parameters import validate_parameters

    parameters = {}
    for stage in ("tower_training", "jtcse_training", "distillation", "mlm_regime"):
        parameters[stage] = _stage_parameters("base", stage)
    parameters["mlm_regime"]["overrides"] = overrides
    with pytest.raises(ValueError, match=message):
        validate_parameters(parameters, model_depth=lambda model: 6)


def test_study_stage_merges_overrides_key_by_key() -> None:
    from jtcse.parameters import study_stage

    stage = {"training": {"learning_rate": 1.0, "seed": 4}, "towers": {"tower_1": {"x": 1}}}
    study = {"overrides": {"tower_training": {"training": {"learning_rate": 2.0}}}}
    merged = study_stage(stage, study, "tower_training")
    assert merged == {
        "training": {"learning_rate": 2.0, "seed": 4},
        "towers": {"tower_1": {"x": 1}},
    }
    assert stage["training"]["learning_rate"] == 1.0  # a copy: the stage's own is untouched
    assert study_stage(stage, {}, "tower_training") == stage


def _stage_parameters(env: str, stage: str) -> dict:
    """The section ``stage`` of ``conf/<env>/parameters_<stage>.yml``."""
    return yaml.safe_load((CONF / env / f"parameters_{stage}.yml").read_text())[stage]
