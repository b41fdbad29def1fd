"""The committed dvc.yaml files are what the project gives, and what they make stale."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from jtcse.paths import DATA_ROOT_FILE, DATA_ROOT_KEY

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHAIN = yaml.safe_load((PROJECT_ROOT / "dvc.yaml").read_text())["stages"]
TRAINING = ["tower_training", "jtcse_training", "distillation", "uc_distillation"]


def test_committed_dvc_yaml_files_are_up_to_date() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "jtcse.chain", "dvc-yaml", "--check"],
        cwd=PROJECT_ROOT,
        env=os.environ | {"KEDRO_DISABLE_TELEMETRY": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr  # names the command that rewrites them


def stages_watching(path: str) -> set[str]:
    return {name for name, stage in CHAIN.items() if path in stage["deps"]}


def test_which_stages_rerun_when_a_module_changes() -> None:
    """The graph as data: a reviewer sees here what each edit makes stale."""
    everything = set(CHAIN)
    # bf16: auto is checked by the parameter hook of every run
    assert stages_watching("src/jtcse/modeling/precision.py") == everything
    loads_models = everything - {"data_preparation", "model_cards"}
    assert stages_watching("src/jtcse/modeling/loading.py") == loads_models
    assert stages_watching("src/jtcse/encoding/base.py") == loads_models
    scores_sts = everything - {"data_preparation", "round_trip_translation"}
    assert stages_watching("src/jtcse/evaluation/sts.py") == scores_sts
    assert stages_watching("src/jtcse/losses/modulus.py") == set(TRAINING)
    assert stages_watching("src/jtcse/export/onnx.py") == {"onnx_export"}
    assert stages_watching("src/jtcse/data/mteb_layout/clustering.py") == {"zero_shot"}
    assert stages_watching("src/jtcse/publishing/chain_cards.py") == {"model_cards"}
    assert stages_watching("src/jtcse/reporting/attention.py") == {"reporting"}


def test_inputs_under_the_data_root_follow_its_variable() -> None:
    document = yaml.safe_load((PROJECT_ROOT / "dvc.yaml").read_text())
    assert document["vars"] == [f"{DATA_ROOT_FILE}:{DATA_ROOT_KEY}"]
    deps = [dep for stage in CHAIN.values() for dep in stage["deps"]]
    assert not [dep for dep in deps if "shared" in dep]
    assert "${data_root}/unsup_corpus/train_all.txt" in CHAIN["data_preparation"]["deps"]
    assert "${data_root}/mteb_style" in CHAIN["zero_shot"]["deps"]
    for folder in ("ablation", "zero_shot"):
        study = yaml.safe_load((PROJECT_ROOT / f"studies/{folder}/dvc.yaml").read_text())
        assert study["vars"] == [f"../../{DATA_ROOT_FILE}:{DATA_ROOT_KEY}"]


def test_the_zero_shot_study_reads_what_the_chain_stage_reads_and_its_own_tasks() -> None:
    study = yaml.safe_load((PROJECT_ROOT / "studies/zero_shot/dvc.yaml").read_text())
    [(name, stage)] = study["stages"].items()
    assert (name, stage["cmd"]) == ("zero_shot_full", "kedro run --pipelines zero_shot_full")
    own = {f"src/jtcse/pipelines/zero_shot_full/{name}" for name in ("__init__.py", "pipeline.py")}
    assert set(stage["deps"]) == set(CHAIN["zero_shot"]["deps"]) | own
    assert {"conf/base/parameters_zero_shot_full.yml": ["zero_shot_full.tasks"]} in stage["params"]


def test_catalog_metadata_decides_outputs_metrics_plots_and_untracked_folders() -> None:
    paths = yaml.safe_dump(CHAIN)
    assert "data/07_model_output" not in paths  # work folders and the embedding cache
    zero_shot = CHAIN["zero_shot"]
    assert {"data/08_reporting/mteb": {"cache": False}} in zero_shot["outs"]
    assert "data/08_reporting/mteb" not in zero_shot["deps"]  # filled by its nodes, not read
    assert {"data/08_reporting/sts_results.json": {"cache": False}} in CHAIN["evaluation"][
        "metrics"
    ]
    assert "data/08_reporting/sts_results.json" in CHAIN["reporting"]["deps"]
    curve = CHAIN["tower_training"]["plots"][0]["data/08_reporting/training_curves/tower_1.csv"]
    assert curve == {"cache": False, "x": "step", "y": "loss"}


def test_parameters_each_stage_reads() -> None:
    def keys(stage: str) -> dict[str, list[str]]:
        return {path: names for entry in CHAIN[stage]["params"] for path, names in entry.items()}

    assert keys("evaluation") == {
        "conf/base/globals.yml": ["uc_ensemble"],  # through ${globals:uc_ensemble}
        "conf/base/parameters_evaluation.yml": ["evaluation"],
        "conf/base/parameters_runtime.yml": ["runtime"],
    }
    towers = keys("tower_training")["conf/base/parameters_tower_training.yml"]
    assert "tower_training.distributed" not in towers  # changes no result
    assert "tower_training.training" in towers
