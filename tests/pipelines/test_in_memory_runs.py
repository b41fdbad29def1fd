"""Each pipeline's nodes on an in-memory ``DataCatalog`` with ``SequentialRunner`` (as Kedro's
starters test them): no project, no session, no files but the model folders the nodes write.
The session-level tests (``test_foundation_pipelines``, ``test_training_pipelines``) run the
same pipelines through the project's catalog and hooks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from kedro.config import OmegaConfigLoader
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Pipeline
from kedro.runner import SequentialRunner
from matplotlib.figure import Figure
from transformers import AutoModel, AutoTokenizer

from jtcse.chain.folders import FOLDER_NAMES, JOINT_RUNS
from jtcse.data.senteval import read_sts_tasks
from jtcse.encoding import Encoder, TokenizedEncoder
from jtcse.modeling.twin_tower import TOWER_FOLDERS, TwinTowerModel
from jtcse.pipelines.data_preparation import pipeline as data_preparation
from jtcse.pipelines.distillation import pipeline as distillation
from jtcse.pipelines.evaluation import pipeline as evaluation
from jtcse.pipelines.jtcse_training import pipeline as jtcse_training
from jtcse.pipelines.model_cards import pipeline as model_cards
from jtcse.pipelines.onnx_export import pipeline as onnx_export
from jtcse.pipelines.reporting import pipeline as reporting
from jtcse.pipelines.tower_training import pipeline as tower_training
from jtcse.pipelines.uc_distillation import pipeline as uc_distillation
from jtcse.pipelines.zero_shot import pipeline as zero_shot
from tests.fixtures.senteval import write_senteval_fixture
from tests.fixtures.tiny_bert import TINY_CORPUS
from tests.fixtures.transfer import write_transfer_fixture

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TINY_BERT = "data/01_raw/tiny_bert"  # what conf/test names as the base model


def run_in_memory(pipeline: Pipeline, inputs: dict[str, Any]) -> dict[str, Any]:
    """Run ``pipeline`` on a catalog of ``inputs`` and return every output's value."""
    catalog = DataCatalog({name: MemoryDataset(value) for name, value in inputs.items()})
    outputs = SequentialRunner().run(pipeline, catalog)
    return {name: dataset.load() for name, dataset in outputs.items()}


@pytest.fixture(scope="module")
def parameters(tiny_bert_path: Path) -> dict[str, Any]:
    """``conf/test``'s parameters as ``params:<stage>`` inputs, the tiny model at its path."""
    loaded = OmegaConfigLoader(str(PROJECT_ROOT / "conf"), base_env="base", default_run_env="test")[
        "parameters"
    ]
    text = json.dumps(loaded).replace(f'"{TINY_BERT}"', json.dumps(str(tiny_bert_path)))
    tree = json.loads(text)
    return {"parameters": tree, **dict(_parameter_inputs(tree, "params:"))}


def _parameter_inputs(tree: dict[str, Any], prefix: str):
    """``params:a``, ``params:a.b``, ... for every key path of ``tree``, as Kedro names them."""
    for key, value in tree.items():
        yield prefix + key, value
        if isinstance(value, dict):
            yield from _parameter_inputs(value, f"{prefix}{key}.")


@pytest.fixture(scope="module")
def sts_pairs(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    return read_sts_tasks(write_senteval_fixture(tmp_path_factory.mktemp("senteval")))


@pytest.fixture(scope="module")
def training_corpus() -> str:
    return "".join(f"{sentence} number {i}\n" for i in range(6) for sentence in TINY_CORPUS)


def test_data_preparation(parameters, sts_pairs) -> None:
    corpus = [*TINY_CORPUS, "", TINY_CORPUS[0], sts_pairs["sentence1"].iloc[0]]
    out = run_in_memory(
        data_preparation.create_pipeline(),
        {"sts_raw": sts_pairs, "corpus_raw": "\n".join(corpus), **parameters},
    )
    statistics = out["corpus_statistics"]
    assert statistics["empty"] == 1 and statistics["duplicate"] == 1
    assert statistics["leaked"] == 1  # an STS sentence is never trained on
    assert out["training_corpus"].splitlines() == list(dict.fromkeys(TINY_CORPUS))


def test_each_tower_is_its_own_namespace(
    parameters, sts_pairs, training_corpus, tmp_path: Path
) -> None:
    pipeline = tower_training.create_pipeline()
    assert {node.name for node in pipeline.nodes} == {"tower_1.train", "tower_2.train"}
    names = {f"{tower}.run_name": tower for tower in tower_training.TOWERS}
    works = {f"{tower}_work": tmp_path / tower for tower in tower_training.TOWERS}
    works |= {f"{tower}_round_trip": "" for tower in tower_training.TOWERS}  # RTT off
    out = run_in_memory(
        pipeline,
        {"training_corpus": training_corpus, "sts_pairs": sts_pairs} | names | works | parameters,
    )
    towers = [AutoModel.from_pretrained(out[tower]) for tower in tower_training.TOWERS]
    # conf/test gives tower_2 its own dropout: the namespace's run name chose the settings
    assert [tower.config.hidden_dropout_prob for tower in towers] == [0.1, 0.2]
    for tower in tower_training.TOWERS:
        assert Path(out[tower]).is_relative_to(tmp_path / tower)
        assert len(out[f"{tower}_training_curve"]) > 0


def test_each_joint_run_is_its_own_namespace(
    parameters, sts_pairs, training_corpus, tiny_bert_path, tiny_bert_path_b, tmp_path: Path
) -> None:
    pipeline = jtcse_training.create_pipeline()
    assert {node.name for node in pipeline.nodes} == {"tncse.train", "jtcse.train"}
    out = run_in_memory(
        pipeline,
        {
            "tower_1": str(tiny_bert_path),
            "tower_2": str(tiny_bert_path_b),
            "training_corpus": training_corpus,
            "sts_pairs": sts_pairs,
            **{f"{run}.run_name": run for run in JOINT_RUNS},
            **{f"{run}_work": tmp_path / run for run in JOINT_RUNS},
            **parameters,
        },
    )
    runs = parameters["params:jtcse_training"]["runs"]
    for run in JOINT_RUNS:
        wanted = runs[run]["settings"]["num_cross_attention_layers"]
        for tower in ("tower_1", "tower_2"):
            record = AutoModel.from_pretrained(out[f"{run}_{tower}"]).config.jtcse
            assert record["run"] == run
            assert record["num_cross_attention_layers"] == wanted
        assert len(out[f"{run}_training_curve"]) > 0


def count_forward_passes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the class of every encoder that runs its model on sentences (every backend's
    forward passes go through ``TokenizedEncoder._run``; the real pass still runs)."""
    passes: list[str] = []
    run = TokenizedEncoder._run

    def counted(self, sentences, batch_size, show_progress):
        passes.append(type(self).__name__)
        return run(self, sentences, batch_size, show_progress)

    monkeypatch.setattr(TokenizedEncoder, "_run", counted)
    return passes


def test_distillation_export_evaluation_and_reporting(
    parameters,
    sts_pairs,
    training_corpus,
    tiny_bert_path,
    tiny_bert_path_b,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    twin = TwinTowerModel.from_towers(tiny_bert_path, tiny_bert_path_b, 1)
    twin.save_pretrained(tmp_path / "jtcse", AutoTokenizer.from_pretrained(tiny_bert_path))
    towers = {f"jtcse_{tower}": str(tmp_path / "jtcse" / tower) for tower in TOWER_FOLDERS}
    common = {"training_corpus": training_corpus, "sts_pairs": sts_pairs, **parameters}
    # without log_student_model (a no-op here: no MLflow run), the student folder is an output
    training = distillation.create_pipeline().only_nodes(
        "compute_teacher_embeddings", "train_student"
    )
    student = run_in_memory(training, {**towers, "student_work": tmp_path / "student", **common})
    assert len(student["student_training_curve"]) > 0
    student_folder = student["student"]
    uc_inputs = {**towers, "student_uc_work": tmp_path / "student_uc", **common}
    uc_pipeline = uc_distillation.create_pipeline()
    uc_student = run_in_memory(uc_pipeline, uc_inputs)
    assert len(uc_student["student_uc_training_curve"]) > 0
    # the UC teacher: (1 - w) of the pair's summed [CLS] rows plus w of the external model's
    uc_teacher = run_in_memory(
        uc_pipeline.only_nodes_with_outputs("uc_teacher_embeddings"), uc_inputs
    )
    sentences = training_corpus.splitlines()[:16]  # conf/test: max_sentences
    pair = Encoder.load(list(towers.values())).encode(sentences)
    external = Encoder.load(tiny_bert_path, "mean").encode(sentences)  # conf/test globals.yml
    np.testing.assert_allclose(
        uc_teacher["uc_teacher_embeddings"], 0.3 * pair + 0.7 * external, rtol=1e-5, atol=1e-6
    )
    exports = run_in_memory(
        onnx_export.create_pipeline(),
        {"student": str(student_folder), "onnx_export_work": tmp_path / "onnx", **common},
    )
    assert exports["onnx_export_report"]["max_abs_difference"] < 1e-3

    folders = {name: str(tiny_bert_path) for name in FOLDER_NAMES}
    folders |= towers | {"student": str(student_folder), "student_uc": uc_student["student_uc"]}
    folders |= {name: exports[name] for name in ("student_onnx", "student_onnx_int8")}
    cache = {"embedding_cache": tmp_path / "embeddings"}
    passes = count_forward_passes(monkeypatch)
    results = run_in_memory(evaluation.create_pipeline(), {**folders, **cache, **common})
    assert passes  # the spy sees the encoders' passes
    encoders = parameters["params:evaluation"]["encoders"]
    assert list(results["sts_results"]) == list(encoders)  # one row per encoder, in order
    external = parameters["params:evaluation"]["encoders"]["jtcse_uc"]["uc"]["external_model"]
    assert (  # the UC row's formula under the table: its external model and w
        "- `jtcse_uc` = 0.3 jtcse_tower_1 (cls) + 0.3 jtcse_tower_2 (cls) + "
        f"0.7 {external} (mean)\n"
    ) in results["sts_results_markdown"]
    # a second run reads every embedding from the cache: no forward pass, the same table
    passes.clear()
    again = run_in_memory(evaluation.create_pipeline(), {**folders, **cache, **common})
    assert passes == []
    assert again["sts_results"] == results["sts_results"]
    monkeypatch.undo()

    # zero-shot (mteb) on the SentEval fixture's STS12 and SICK-R, every encoder of conf/test
    data_root = tmp_path / "data_root"
    write_senteval_fixture(data_root / "senteval")
    write_transfer_fixture(data_root / "senteval", per_class=10)  # 10 folds need 10 a class
    zero_shot_params = common["params:zero_shot"]
    zero_shot_inputs = {
        "zero_shot_data": data_root,
        "mteb_task_root": tmp_path / "mteb_tasks",
        "mteb_results_folder": tmp_path / "mteb",
        "params:zero_shot": zero_shot_params,
    }
    zero_shot_outputs = run_in_memory(
        zero_shot.create_pipeline(), {**folders, **cache, **common, **zero_shot_inputs}
    )
    encoder_names = {path.name for path in (tmp_path / "mteb" / "results").iterdir()}
    assert encoder_names == {f"jtcse__{name}" for name in zero_shot_params["encoders"]}
    section = zero_shot_outputs["zero_shot_markdown"]
    assert "| STS12 | sts | cosine_spearman |" in section and "| SICK-R | sts |" in section
    overall = [r for r in zero_shot_outputs["zero_shot_win_tie_loss"] if r["category"] == "overall"]
    assert [row["baseline"] for row in overall] == [
        name for name in zero_shot_params["encoders"] if name != "jtcse_decoupled"
    ]

    curves = {
        f"{run}_training_curve": student["student_training_curve"]
        for run in reporting.TRAINING_RUNS
    }
    report = run_in_memory(
        reporting.create_pipeline(),
        {**results, **curves, **folders, **common, **zero_shot_outputs},
    )
    assert isinstance(report["training_curves_figure"], Figure)
    assert "student" in report["results_report"]
    assert "## Zero-shot evaluation" in report["results_report"]

    copies = {  # the cards go into the folders: copies, not the shared tiny model
        name: str(shutil.copytree(folder, tmp_path / "cards" / name))
        for name, folder in folders.items()
    }
    cards = run_in_memory(
        model_cards.create_pipeline(),
        {**copies, **results, "onnx_export_report": exports["onnx_export_report"], **common},
    )["model_cards_index"]
    assert set(cards) == set(FOLDER_NAMES)
    student_card = (tmp_path / "cards" / "student" / "README.md").read_text()
    base_rows = ["tiny_cls", "tiny_mean"]  # the base model's own rows follow, for reference
    assert cards["student"]["sts_rows"] == ["student", "student_bf16", *base_rows]
    assert cards["student_uc"]["sts_rows"] == ["student_uc", *base_rows]
    assert "jtcse_uc" in cards["jtcse_tower_1"]["sts_rows"]
    assert f"| student | {results['sts_results']['student']['STS12']:.2f} |" in student_card
    onnx_card = (tmp_path / "cards" / "student_onnx" / "README.md").read_text()
    assert f"max_abs_difference = {exports['onnx_export_report']['max_abs_difference']:.6g}" in (
        onnx_card
    )
