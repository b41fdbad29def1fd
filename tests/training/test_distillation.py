"""Tests of the distillation (JTCSE-D) loss terms, settings, teacher, one short real student
run, the sentence-transformers folder and the teacher-embeddings dataset."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoModel, AutoTokenizer

from jtcse.datasets import NumpyArrayDataset
from jtcse.encoding import Encoder
from jtcse.losses import distillation_loss, distillation_terms
from jtcse.modeling.folders import write_sentence_transformers_config
from jtcse.pipelines.distillation.nodes import compute_teacher_embeddings
from jtcse.training import DistillationSettings, TrainingConfig, teacher_embeddings, train_student
from tests.fixtures.training_runs import CORPUS, folder_stamp, weights


def naive_interleaved_info_nce(teacher: torch.Tensor, student: torch.Tensor, tau: float) -> float:
    """InfoNCE over [t_1, s_1, t_2, s_2, ...], written out row by row from the formula."""
    rows = [vector for pair in zip(teacher, student, strict=True) for vector in pair]
    total = 0.0
    for i, anchor in enumerate(rows):
        scores = {
            j: float(torch.nn.functional.cosine_similarity(anchor, other, dim=0)) / tau
            for j, other in enumerate(rows)
            if j != i
        }
        positive = i ^ 1
        total += -scores[positive] + np.log(sum(np.exp(value) for value in scores.values()))
    return total / len(rows)


def test_distillation_terms_are_the_distillation_loss_and_its_two_parts():
    generator = torch.Generator().manual_seed(0)
    teacher = torch.randn(5, 8, generator=generator)
    student = torch.randn(5, 8, generator=generator, requires_grad=True)
    settings = DistillationSettings(weight_contrastive=0.3, temperature=0.1)

    terms = distillation_terms(teacher, student, settings)

    assert set(terms) == {"loss", "contrastive", "l1"}
    torch.testing.assert_close(terms["loss"], distillation_loss(teacher, student, 0.3, 0.1))
    expected_contrastive = naive_interleaved_info_nce(teacher, student.detach(), 0.1)
    pairs = zip(student.detach().flatten(), teacher.flatten(), strict=True)
    expected_l1 = float(sum(abs(s - t) for s, t in pairs)) / 40
    assert terms["contrastive"].item() == pytest.approx(expected_contrastive, rel=1e-5)
    assert terms["l1"].item() == pytest.approx(expected_l1, rel=1e-5)
    assert terms["loss"].item() == pytest.approx(
        0.3 * expected_contrastive + 0.7 * expected_l1, rel=1e-5
    )
    terms["loss"].backward()  # the total trains the student; the logged parts are detached
    assert student.grad is not None and not terms["contrastive"].requires_grad


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"weight_contrastive": 1.5}, r"weight_contrastive must be in \[0, 1\]; got 1.5"),
        ({"weight_contrastive": -0.1}, r"weight_contrastive must be in \[0, 1\]; got -0.1"),
        ({"temperature": 0.0}, "temperature must be > 0; got 0.0"),
        ({"max_sentences": 0}, "max_sentences must be >= 1 or null; got 0"),
        ({"max_length": 0}, "max_length must be >= 1; got 0"),
        ({"length_chunks": 0}, "length_chunks must be >= 1; got 0"),
        ({"dropout": 1.0}, r"dropout must be in \[0, 1\); got 1.0"),
    ],
)
def test_settings_validation_errors_name_the_parameter(values, message):
    with pytest.raises(ValueError, match=message):
        DistillationSettings(**values)


def cls_vectors(folder: Path, sentences: list[str], max_length: int = 128) -> torch.Tensor:
    """Last-layer [CLS] of each sentence encoded alone (no padding, truncated at
    ``max_length`` tokens), eval mode."""
    model, tokenizer = (
        AutoModel.from_pretrained(folder).eval(),
        AutoTokenizer.from_pretrained(folder),
    )
    with torch.no_grad():
        return torch.stack(
            [
                model(
                    **tokenizer(
                        sentence, truncation=True, max_length=max_length, return_tensors="pt"
                    )
                ).last_hidden_state[0, 0]
                for sentence in sentences
            ]
        )


def test_teacher_is_the_sum_of_the_towers_cls_vectors(tiny_bert_path, tiny_bert_path_b):
    sentences = CORPUS[:6]
    towers = [tiny_bert_path, tiny_bert_path_b]
    teacher = teacher_embeddings(towers, sentences, max_length=128, batch_size=4)
    expected = cls_vectors(tiny_bert_path, sentences) + cls_vectors(tiny_bert_path_b, sentences)
    assert teacher.dtype == np.float32 and teacher.shape == (6, 32)
    torch.testing.assert_close(torch.from_numpy(teacher), expected, atol=1e-5, rtol=1e-5)


def test_the_pipeline_teacher_reads_the_students_truncated_tokens(tiny_bert_path, tiny_bert_path_b):
    """Defect found against CACSE's recipe: the teacher was encoded at the model's limit while
    the student sees ``max_length`` tokens, so long sentences had targets the student cannot
    see. Teacher row i must be the towers' [CLS] of the student's truncated input."""
    long_sentences = [" ".join([sentence] * 4) for sentence in CORPUS[:3]]
    tokenizer = AutoTokenizer.from_pretrained(tiny_bert_path)
    assert all(len(tokenizer(sentence)["input_ids"]) > 12 for sentence in long_sentences)
    stage_params = {
        "teacher_bf16": False,
        "training": {"learning_rate": 1e-5, "batch_size": 8},
        "settings": {"max_length": 8},
    }

    teacher = compute_teacher_embeddings(
        str(tiny_bert_path), str(tiny_bert_path_b), "\n".join(long_sentences), stage_params
    )

    towers = (tiny_bert_path, tiny_bert_path_b)
    expected = sum(cls_vectors(path, long_sentences, max_length=8) for path in towers)
    torch.testing.assert_close(torch.from_numpy(teacher), expected, atol=1e-5, rtol=1e-5)


# --- one short real run -------------------------------------------------------------------


@pytest.fixture(scope="module")
def teacher(tiny_bert_path, tiny_bert_path_b) -> np.ndarray:
    return teacher_embeddings([tiny_bert_path, tiny_bert_path_b], CORPUS, max_length=32)


def test_train_student_moves_the_student_toward_the_teacher(
    tiny_bert_path, teacher, sts_dev, tmp_path
):
    settings = DistillationSettings(max_length=32, length_chunks=2, weight_contrastive=0.01)
    # Evaluated only at the end, so the kept student is the last one.
    config = TrainingConfig(
        learning_rate=1e-3, batch_size=8, max_steps=9, num_epochs=None, eval_every=100
    )

    def run():
        return train_student(
            str(tiny_bert_path), CORPUS, teacher, sts_dev, settings, config, tmp_path / "run"
        )

    folder, result = run()
    assert folder == tmp_path / "run" / "best"
    assert result.global_step == 9 and result.best_step == 9
    assert {"loss", "contrastive", "l1"} <= set(result.last_metrics)

    target = torch.from_numpy(teacher)
    before, after = cls_vectors(tiny_bert_path, CORPUS), cls_vectors(folder, CORPUS)
    assert distillation_loss(target, after).item() < distillation_loss(target, before).item()
    assert (after - target).abs().mean().item() < (before - target).abs().mean().item()

    # A standard Hugging Face folder that is also a sentence-transformers [CLS] model.
    AutoTokenizer.from_pretrained(folder)
    assert weights(folder).keys() == weights(tiny_bert_path).keys()
    modules = json.loads((folder / "modules.json").read_text())
    assert [module["path"] for module in modules] == ["", "1_Pooling"]
    pooling = json.loads((folder / "1_Pooling" / "config.json").read_text())
    assert pooling["pooling_mode_cls_token"] is True
    assert pooling["pooling_mode_mean_tokens"] is False
    assert pooling["word_embedding_dimension"] == 32
    assert json.loads((folder / "sentence_bert_config.json").read_text()) == {
        "max_seq_length": 32,
        "do_lower_case": False,
    }
    stamp = folder_stamp(folder)

    again_folder, again = run()  # the finished run is returned, not trained again
    assert again_folder == folder and again.global_step == 9
    assert folder_stamp(folder) == stamp


def test_each_sentence_meets_its_own_teacher_row(tiny_bert_path, sts_dev, tmp_path):
    # Teacher = the student's own [CLS] vectors: with no dropout the first step's L1 (computed
    # before the update) is 0 only if every sentence of the shuffled batch gets its own row.
    own = cls_vectors(tiny_bert_path, CORPUS).numpy()
    settings = DistillationSettings(dropout=0.0, max_length=32, length_chunks=2)
    config = TrainingConfig(learning_rate=1e-5, batch_size=len(CORPUS), max_steps=1, log_every=1)
    results = {
        name: train_student(
            tiny_bert_path, CORPUS, rows, sts_dev, settings, config, tmp_path / name
        )[1]
        for name, rows in (("own", own), ("reversed", own[::-1]))
    }
    # (the tiny random BERT's [CLS] vectors differ little between sentences: L1 about 3e-3)
    assert results["own"].last_metrics["l1"] < 1e-5
    assert results["reversed"].last_metrics["l1"] > 1e-3


def test_sentence_transformers_loads_the_student_folder_as_a_cls_encoder(tiny_bert_path, tmp_path):
    from sentence_transformers import SentenceTransformer

    folder = tmp_path / "student"
    model, tokenizer = (
        AutoModel.from_pretrained(tiny_bert_path),
        AutoTokenizer.from_pretrained(tiny_bert_path),
    )
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    write_sentence_transformers_config(folder, hidden_size=32, max_length=32)

    sentences = CORPUS[:4]
    loaded = SentenceTransformer(str(folder), device="cpu").encode(sentences)
    expected = Encoder.load(folder).encode(sentences)
    np.testing.assert_allclose(loaded, expected, atol=1e-5, rtol=1e-5)


def test_train_student_rejects_a_teacher_that_does_not_fit(tiny_bert_path, sts_dev, tmp_path):
    config = TrainingConfig(learning_rate=1e-3, batch_size=8, max_steps=1)
    settings = DistillationSettings(max_sentences=10)
    with pytest.raises(ValueError, match=r"a row for each of the 10 training sentences"):
        train_student(
            tiny_bert_path, CORPUS, np.zeros((9, 32)), sts_dev, settings, config, tmp_path
        )
    with pytest.raises(ValueError, match=r"teacher has 16 columns .* hidden size 32"):
        train_student(
            tiny_bert_path, CORPUS, np.zeros((10, 16)), sts_dev, settings, config, tmp_path
        )


def test_numpy_array_dataset_round_trips(tmp_path):
    dataset = NumpyArrayDataset(str(tmp_path / "nested" / "teacher.npy"))
    assert not dataset.exists()
    array = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
    dataset.save(array)
    loaded = dataset.load()
    assert dataset.exists() and loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded, array)
    dataset.save(array[:1])  # replaced, and no temporary file is left behind
    np.testing.assert_array_equal(dataset.load(), array[:1])
    assert [path.name for path in (tmp_path / "nested").iterdir()] == ["teacher.npy"]
