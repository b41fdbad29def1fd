"""End to end: towers, joint training (TNCSE and JTCSE), distillation, their evaluation and the
report (with the results notebook) on ``conf/test``."""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import mlflow
import nbformat
import numpy as np
import pandas as pd
import pytest
import torch
from nbclient import NotebookClient
from transformers import AutoModel, AutoTokenizer

from jtcse.chain.folders import FOLDER_NAMES
from jtcse.data.senteval import ALL_TASKS, read_sts_tasks
from jtcse.encoding import CoupledTwinEncoder, Encoder
from jtcse.evaluation.sts import DEV_KEY, RESULT_KEYS
from jtcse.modeling.folders import ONNX_MODEL_FILE
from jtcse.pipelines.reporting.pipeline import TRAINING_RUNS
from tests.fixtures.training_runs import reference_cls_rows, reference_spearman

# Every trained Hugging Face folder the evaluation reads (the others are ONNX exports).
MODELS = tuple(name for name in FOLDER_NAMES if "onnx" not in name)
FIGURES = ("cls_attention_mass.png", "sts_bar_chart.png", "training_curves.png")
REPORT_FIGURES = (*FIGURES, "zero_shot_heat_map.png")  # the notebook shows FIGURES
NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "results.ipynb"


def reference_sts_scores(table: pd.DataFrame, folders: list[Path]) -> dict[str, float]:
    """Spearman x 100 per result key (SentEval's pairs: each task's test pairs, STS-B dev)
    of the summed [CLS] rows of ``folders``, computed apart from :mod:`jtcse.encoding`."""
    scored = table[table["score"].notna()]
    groups = {
        task: scored[(scored["task"] == task) & (scored["split"] == "test")] for task in ALL_TASKS
    }
    groups[DEV_KEY] = scored[(scored["task"] == "STSBenchmark") & (scored["split"] == "dev")]
    sentences = list(dict.fromkeys([*scored["sentence1"], *scored["sentence2"]]))
    rows = dict(zip(sentences, reference_cls_rows(folders, sentences), strict=True))
    scores = {key: reference_spearman(group, rows) for key, group in groups.items()}
    scores["avg"] = float(np.mean([scores[task] for task in ALL_TASKS]))
    return scores


@pytest.mark.slow  # executes the results notebook
def test_tower_and_joint_training_then_evaluation(
    test_project: Path, run_pipelines, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_pipelines(
        [
            "data_preparation",
            "round_trip_translation",  # off in conf/test: empty round-trip files
            "tower_training",
            "jtcse_training",
            "distillation",
            "uc_distillation",
            "onnx_export",
            "evaluation",
            "zero_shot",
            "reporting",
            "model_cards",
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

    for name in FOLDER_NAMES:  # every folder has its card, with the rows that use it
        card = (test_project / "data/06_models" / name / "README.md").read_text()
        assert card.startswith("---\n") and "library_name: sentence-transformers" in card
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
        "jtcse_uc",
        "student",
        "student_bf16",
        "student_uc",
        "student_onnx",
        "student_onnx_int8",
    }
    for scores in results.values():
        assert set(scores) == {*RESULT_KEYS, "STSBenchmark-dev"}
    # Rows scored apart (each sentence alone through the Hugging Face model, scipy's Spearman)
    # give the table's scores, to its two decimals; the fp32 ONNX export scores as its source.
    table = read_sts_tasks(test_project.parent / "data_root" / "senteval")
    models = test_project / "data/06_models"
    for name, folders in {
        "tiny_cls": [test_project / "data/01_raw/tiny_bert"],
        "tower_1": [models / "tower_1"],
        "towers_ensemble": [models / "tower_1", models / "tower_2"],
        "student": [models / "student"],
        "student_onnx": [models / "student"],
    }.items():
        expected = reference_sts_scores(table, folders)
        assert results[name] == pytest.approx(expected, rel=0, abs=0.0051), name
    assert "| jtcse_coupled |" in (test_project / "data/08_reporting/sts_results.md").read_text()

    # The ONNX exports passed their checks, and the fp32 export scores like the student.
    for name in ("student_onnx", "student_onnx_int8"):
        folder = test_project / "data/06_models" / name
        assert (folder / ONNX_MODEL_FILE).is_file() and (folder / "export_metadata.json").is_file()
    export = json.loads((test_project / "data/08_reporting/onnx_export.json").read_text())
    assert export["max_abs_difference"] <= export["max_abs_difference_limit"]
    assert export["min_cosine"] >= 0.9999

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

    # The report: every training curve, the figures as PNG files embedded in report.md, all
    # also logged to the run as artefacts; the notebook shows them from the catalog.
    reporting = test_project / "data/08_reporting"
    for name in TRAINING_RUNS:
        curve = pd.read_csv(reporting / "training_curves" / f"{name}.csv")
        assert curve["loss"].notna().any(), name
    report = (reporting / "report.md").read_text()
    assert "| jtcse_coupled |" in report
    assert sorted(re.findall(r"!\[[^\]]*\]\(([^)]+)\)", report)) == list(REPORT_FIGURES)
    for figure in REPORT_FIGURES:
        assert (reporting / figure).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    mass = json.loads((reporting / "cls_attention_mass.json").read_text())
    assert mass["cross_attention_layers"] == [2]  # conf/test: n = 1 of 2 layers
    shares = [
        value
        for modes in mass["mass"].values()
        for towers in modes.values()
        for values in towers.values()
        for value in values
    ]
    assert len(shares) == 2 * 2 * 2 * 2 and all(0.0 < value < 1.0 for value in shares)
    artefacts = mlflow.MlflowClient().list_artifacts(run["run_id"], "reporting")
    assert {Path(artefact.path).name for artefact in artefacts} == {
        *REPORT_FIGURES,
        "cls_attention_mass.json",
        "report.md",
        "corpus_statistics.json",
        "sts_results.json",
        "sts_results.md",
        "onnx_export.json",
        "zero_shot_results.csv",
        "zero_shot.md",
        "zero_shot_win_tie_loss.json",
    }

    notebooks = test_project / "notebooks"
    notebooks.mkdir()
    shutil.copy(NOTEBOOK, notebooks / NOTEBOOK.name)
    notebook = nbformat.read(notebooks / NOTEBOOK.name, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells)  # committed without outputs
    monkeypatch.setenv("JTCSE_KEDRO_ENV", "test")
    NotebookClient(
        notebook, kernel_name="python3", timeout=120, resources={"metadata": {"path": notebooks}}
    ).execute()  # raises CellExecutionError when a cell fails
    outputs = [output for cell in notebook.cells for output in cell.get("outputs", [])]
    assert not [output for output in outputs if output["output_type"] == "error"]
    shown = [
        base64.b64decode(output["data"]["image/png"])
        for output in outputs
        if "image/png" in output.get("data", {})
    ]
    assert sorted(shown) == sorted((reporting / figure).read_bytes() for figure in FIGURES)
