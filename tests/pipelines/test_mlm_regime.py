"""The ``mlm_regime`` study end to end on ``conf/test`` (a tiny MLM pretraining, then 2 seeds x
2 joint variants from it): the towers and the student start from ``mlm_base``, the study's
overrides reach the runs they name and no other, the base rows are the raw MLM model, and the
attention measurement covers the supervised base beside the regime's models, and the
default zero-shot suite runs on the first seed's models."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from transformers import AutoConfig

from jtcse.evaluation.suite import evaluate_encoder
from jtcse.pipelines.mlm_regime.nodes import regime_zero_shot_settings

ROWS = [
    "base_cls",
    "base_mean",
    "tower_1",
    "tower_2",
    "towers_ensemble",
    "tncse",
    "jtcse",
    "jtcse_d",
]


def test_regime_study_end_to_end(
    test_project: Path, run_pipelines: Callable[[list[str]], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEDRO_ENV", "test")  # the grid of conf/test
    run_pipelines(["data_preparation", "mlm_pretraining", "mlm_regime"])

    mlm_base = test_project / "data/06_models/mlm_base"
    work = test_project / "data/07_model_output/work"
    # the MLM model is 48 wide, the supervised tiny base 32: every trained model is the MLM's
    folders = ["tower_1/best", "tower_2/best", "jtcse/best/tower_1", "tncse/best/tower_2"]
    for folder in [*folders, "jtcse_d/best"]:
        config = AutoConfig.from_pretrained(work / f"mlm_regime.seed_1.{folder}")
        assert config.hidden_size == 48, folder

    curves = test_project / "data/08_reporting/training_curves"

    def learning_rates(run: str) -> set[float]:
        return set(pd.read_csv(curves / f"mlm_regime.seed_2.{run}.csv")["learning_rate"])

    assert learning_rates("tower_1") == {7.0e-4}  # overrides.tower_training.towers.tower_1
    assert learning_rates("tower_2") == {5.0e-4}  # conf/test's own tower_2 rate
    assert learning_rates("jtcse") == learning_rates("tncse") == {3.0e-4}

    results = json.loads(
        (test_project / "data/08_reporting/mlm_regime/mlm_regime.json").read_text()
    )
    assert results["seeds"] == [1, 2]
    assert [row["variant"] for row in results["summary"]] == ROWS
    differences = pd.DataFrame(results["differences"])
    assert sorted(set(differences["reference"])) == ["tncse", "tower_1", "towers_ensemble"]
    scores = pd.DataFrame(results["scores"]).set_index(["seed", "variant"])
    sts_pairs = pd.read_parquet(test_project / "data/03_primary/sts_pairs.parquet")
    for row, pooling in (("base_cls", "cls"), ("base_mean", "mean")):
        raw = evaluate_encoder(sts_pairs, str(mlm_base), pooling=pooling)
        assert scores.loc[(1, row), "avg"] == pytest.approx(raw.scores["avg"], abs=1e-4)
        assert scores.loc[(2, row), "avg"] == pytest.approx(raw.scores["avg"], abs=1e-4)

    attention = json.loads(
        (test_project / "data/08_reporting/mlm_regime/cls_attention_mass.json").read_text()
    )
    assert list(attention["mass"]) == ["supervised_base", "mlm_base", "simcse_towers", "jtcse"]
    assert attention["layers"] == [1, 2] and attention["cross_attention_layers"] == [2]
    for modes in attention["mass"].values():
        for towers in modes.values():
            assert all(0.0 <= value <= 1.0 for values in towers.values() for value in values)
    # alone, the supervised base and the MLM base differ: the two pairs are different models
    assert attention["mass"]["supervised_base"]["alone"] != attention["mass"]["mlm_base"]["alone"]
    assert (test_project / "data/08_reporting/mlm_regime/cls_attention_mass.png").stat().st_size

    zero_shot = pd.read_csv(
        test_project / "data/08_reporting/mlm_regime_zero_shot/zero_shot_results.csv"
    )
    encoders = [
        "tiny_cls",
        "tiny_mean",
        "towers_ensemble",
        "tncse_ensemble",
        "jtcse_decoupled",
        "student",
    ]
    assert list(dict.fromkeys(zero_shot["encoder"])) == encoders  # conf/test's zero_shot.encoders
    assert set(zero_shot["task"]) == {"STS12", "SICK-R", "SST2", "MRPC"}
    assert zero_shot["score"].notna().all()
    win_tie_loss = (
        test_project / "data/08_reporting/mlm_regime_zero_shot/zero_shot_win_tie_loss.json"
    )
    assert json.loads(win_tie_loss.read_text())


def test_regime_zero_shot_reads_the_mlm_base_and_the_seeds_folders() -> None:
    zero_shot = {
        "batch_size": 8,
        "encoders": {
            "base": {"models": ["supervised"], "pooling": "mean", "normalize": True},
            "ensemble": {"models": ["tower_1", "tower_2"]},
            "student": {"models": ["student"], "bf16": False},
            "hub": {"models": ["someone/model"]},
        },
    }
    settings = regime_zero_shot_settings(zero_shot, {"base_model": "supervised"}, "data/mlm")
    assert settings["encoders"] == {
        "base": {"models": ["data/mlm"], "pooling": "mean", "normalize": True},
        "ensemble": {"models": ["tower_1", "tower_2"]},
        "student": {"models": ["student"], "bf16": False},
        "hub": {"models": ["someone/model"]},
    }
    assert settings["batch_size"] == 8 and zero_shot["encoders"]["base"]["models"] == ["supervised"]
    onnx = {"encoders": {"exported": {"models": ["student_onnx"]}}}
    with pytest.raises(ValueError, match=r"zero_shot\.encoders\.exported: .* no `student_onnx`"):
        regime_zero_shot_settings(onnx, {"base_model": "supervised"}, "data/mlm")


def test_regime_zero_shot_runs_on_the_first_seeds_models(monkeypatch: pytest.MonkeyPatch) -> None:
    from jtcse.pipelines import mlm_regime

    monkeypatch.chdir(Path(__file__).parents[2])  # the grid of conf/test: seeds 1 and 2
    monkeypatch.setenv("KEDRO_ENV", "test")
    nodes = {n.name: n for n in mlm_regime.create_pipeline().nodes}
    settings = nodes["mlm_regime_zero_shot.settings"]
    assert set(settings.inputs) == {"params:zero_shot", "params:tower_training", "mlm_base"}
    families = {
        name.removeprefix("mlm_regime_zero_shot."): set(n.inputs)
        - {"mlm_regime_zero_shot.zero_shot_settings"}
        for name, n in nodes.items()
        if name.startswith("mlm_regime_zero_shot.zero_shot_")
    }
    seed = "mlm_regime.seed_1"
    shared = {
        "mlm_regime_zero_shot.mteb_task_folders",
        "params:zero_shot.tasks",
        "zero_shot_data",
        "embedding_cache",
        "mlm_regime_zero_shot.mteb_results_folder",
    }
    assert families == {
        "zero_shot_base": shared,
        "zero_shot_towers": shared | {f"{seed}.tower_1", f"{seed}.tower_2"},
        "zero_shot_joint": shared
        | {f"{seed}.{run}_tower_{i}" for run in ("tncse", "jtcse") for i in (1, 2)},
        "zero_shot_student": shared | {f"{seed}.jtcse_d"},
    }
