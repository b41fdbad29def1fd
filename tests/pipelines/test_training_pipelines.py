"""End to end: towers, joint training (TNCSE and JTCSE), distillation and their evaluation on
``conf/test``."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import numpy as np
import torch
from transformers import AutoModel, AutoTokenizer

from jtcse.encoder import CoupledTwinEncoder, Encoder
from jtcse.evaluation.sts import RESULT_KEYS
from jtcse.pipelines.evaluation.pipeline import MODEL_FOLDERS

# Every trained Hugging Face folder the evaluation reads (the others are ONNX exports).
MODELS = tuple(name for name in MODEL_FOLDERS if "onnx" not in name)


def test_tower_and_joint_training_then_evaluation(test_project: Path, run_pipelines) -> None:
    run_pipelines(
        [
            "data_preparation",
            "tower_training",
            "jtcse_training",
            "distillation",
            "onnx_export",
            "evaluation",
        ]
    )

    base = AutoModel.from_pretrained(test_project / "data/01_raw/tiny_bert")
    for name in MODELS:
        folder = test_project / "data/06_models" / name
        model = AutoModel.from_pretrained(folder)  # a standard Hugging Face folder
        AutoTokenizer.from_pretrained(folder)
        changed = any(
            not torch.equal(trained, original)
            for trained, original in zip(model.parameters(), base.parameters(), strict=True)
        )
        assert changed, f"{name} was not trained"
    jtcse_config = json.loads(
        (test_project / "data/06_models/jtcse_tower_1/config.json").read_text()
    )
    assert jtcse_config["jtcse"]["num_cross_attention_layers"] == 1
    tncse_config = json.loads(
        (test_project / "data/06_models/tncse_tower_1/config.json").read_text()
    )
    assert tncse_config["jtcse"]["num_cross_attention_layers"] == 0
    student = test_project / "data/06_models/student"
    assert (student / "modules.json").is_file() and (student / "1_Pooling/config.json").is_file()
    teacher = np.load(test_project / "data/05_model_input/teacher_embeddings.npy")
    assert teacher.shape == (16, 32)  # conf/test: max_sentences 16, tiny BERT 32 wide

    results = json.loads((test_project / "data/08_reporting/sts_results.json").read_text())
    assert set(results) == {
        "tiny_cls",
        "tiny_mean",
        "tower_1",
        "tower_2",
        "towers_ensemble",
        "tncse_ensemble",
        "jtcse_decoupled",
        "jtcse_coupled",
        "student",
        "student_bf16",
        "student_onnx",
        "student_onnx_int8",
    }
    for scores in results.values():
        assert set(scores) == {*RESULT_KEYS, "STSBenchmark-dev"}
        assert all(-100.0 <= value <= 100.0 for value in scores.values())
    assert "| jtcse_coupled |" in (test_project / "data/08_reporting/sts_results.md").read_text()

    # The ONNX exports passed their checks, and the fp32 export scores like the student.
    for name in ("student_onnx", "student_onnx_int8"):
        folder = test_project / "data/06_models" / name
        assert (folder / "model.onnx").is_file() and (folder / "export_metadata.json").is_file()
    export = json.loads((test_project / "data/08_reporting/onnx_export.json").read_text())
    assert export["max_abs_difference"] <= export["max_abs_difference_limit"]
    assert export["min_cosine"] >= 0.9999
    assert abs(results["student_onnx"]["avg"] - results["student"]["avg"]) <= 0.5

    # The ensemble row is the sum of the two exported towers, each encoding alone.
    sentences = ["a man is playing a guitar .", "the cat sits on the mat ."]
    ensemble = Encoder.load(
        [
            test_project / "data/06_models/jtcse_tower_1",
            test_project / "data/06_models/jtcse_tower_2",
        ]
    ).encode(sentences)
    alone = sum(
        Encoder.load(test_project / "data/06_models" / name).encode(sentences)
        for name in ("jtcse_tower_1", "jtcse_tower_2")
    )
    torch.testing.assert_close(torch.from_numpy(ensemble), torch.from_numpy(alone))
    # The coupled row runs the towers with the recorded cross-attention: other vectors.
    coupled = CoupledTwinEncoder.load(
        test_project / "data/06_models/jtcse_tower_1", test_project / "data/06_models/jtcse_tower_2"
    ).encode(sentences)
    assert not torch.allclose(torch.from_numpy(coupled), torch.from_numpy(ensemble), atol=1e-4)

    mlflow.set_tracking_uri(f"sqlite:///{test_project / 'mlflow.db'}")
    run = mlflow.search_runs(experiment_names=["jtcse"]).iloc[0]
    for metric in (
        "tower_1.loss",
        "tower_2.dev_score",
        "jtcse.ictm",
        "jtcse.icnce_intermediate",
        "tncse.nce",
        "student.l1",
        "jtcse_coupled.avg",
    ):
        assert (
            f"metrics.{metric}" in run.index
            and run[f"metrics.{metric}"] == run[f"metrics.{metric}"]
        )
