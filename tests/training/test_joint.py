"""Tests of the joint (JTCSE / TNCSE) loss, its settings, and one short real joint training."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from transformers import AutoModel, AutoTokenizer

from jtcse.encoding import CoupledTwinEncoder, Encoder
from jtcse.evaluation.sts import DEV_KEY, dev_pairs, score_pairs
from jtcse.losses import cross_info_nce, info_nce, joint_loss, modulus_loss
from jtcse.modeling.twin_tower import TwinTowerModel, TwinTowerOutput
from jtcse.modeling.twin_tower_config import TwinTowerConfig
from jtcse.training import JointSettings, TrainingConfig, train_joint
from jtcse.training.joint import joint_training_loss
from tests.fixtures.tiny_bert import TINY_CORPUS
from tests.fixtures.training_runs import CORPUS, folder_stamp, reference_dev_score, weights

SENTENCES = TINY_CORPUS[:4]
TERMS = ("nce", "icnce", "icnce_intermediate", "ictm")


def twin_output(path_1: Path, path_2: Path, n: int) -> TwinTowerOutput:
    """Both towers on 4 sentences x 2 dropout views (8 rows), in train mode."""
    tokenizer = AutoTokenizer.from_pretrained(path_1)
    batch = tokenizer(SENTENCES, padding="longest", return_tensors="pt")
    model = TwinTowerModel(
        AutoModel.from_pretrained(path_1), AutoModel.from_pretrained(path_2), TwinTowerConfig(n)
    ).train()
    torch.manual_seed(0)
    return model(
        batch["input_ids"].repeat_interleave(2, dim=0),
        batch["attention_mask"].repeat_interleave(2, dim=0),
    )


@pytest.fixture(scope="module")
def coupled(tiny_bert_path, tiny_bert_path_b) -> TwinTowerOutput:
    return twin_output(tiny_bert_path, tiny_bert_path_b, n=1)


@pytest.fixture(scope="module")
def uncoupled(tiny_bert_path, tiny_bert_path_b) -> TwinTowerOutput:
    return twin_output(tiny_bert_path, tiny_bert_path_b, n=0)


def terms_by_hand(output: TwinTowerOutput, a: int, tau: float) -> dict[str, torch.Tensor]:
    """The terms of L from the loss functions, for anchor tower ``a`` (the intermediate term
    only when the output has intermediate vectors)."""
    cls = {1: output.cls_1, 2: output.cls_2}
    middle = {1: output.intermediate_cls_1, 2: output.intermediate_cls_2}
    pooled = {1: output.pooled_1, 2: output.pooled_2}
    b = 3 - a
    terms = {
        "nce": info_nce(cls[1], tau) + info_nce(cls[2], tau),
        "icnce": cross_info_nce(cls[a], cls[b], tau),
        "ictm": modulus_loss(cls[1], cls[2], pooled[1], pooled[2])
        + modulus_loss(cls[2], cls[1], pooled[2], pooled[1]),
    }
    if middle[a] is not None:
        terms["icnce_intermediate"] = cross_info_nce(middle[a], middle[b], tau)
    return terms


@pytest.mark.parametrize("anchor_tower", [1, 2])
@pytest.mark.parametrize("temperature", [0.05, 0.2])
def test_terms_equal_the_loss_functions_applied_by_hand(coupled, anchor_tower, temperature):
    settings = JointSettings(
        num_cross_attention_layers=1,
        weight_nce=0.5,
        weight_icnce=2.0,
        weight_icnce_intermediate=3.0,
        weight_ictm=0.25,
        temperature=temperature,
    )
    terms = joint_loss(coupled, settings, anchor_tower)
    expected = terms_by_hand(coupled, anchor_tower, temperature)
    assert set(terms) == {"loss", *TERMS}
    for name in TERMS:
        torch.testing.assert_close(terms[name], expected[name])
    total = (
        0.5 * expected["nce"]
        + 2.0 * expected["icnce"]
        + 3.0 * expected["icnce_intermediate"]
        + 0.25 * expected["ictm"]
    )
    torch.testing.assert_close(terms["loss"], total)
    assert terms["loss"].requires_grad


def test_the_two_anchor_towers_give_the_two_icnce_directions(coupled):
    settings = JointSettings(num_cross_attention_layers=1)
    one, two = joint_loss(coupled, settings, 1), joint_loss(coupled, settings, 2)
    for name in ("icnce", "icnce_intermediate"):
        assert not torch.allclose(one[name], two[name]), name  # the directions differ
    torch.testing.assert_close(two["icnce"], cross_info_nce(coupled.cls_2, coupled.cls_1))
    torch.testing.assert_close(
        two["icnce_intermediate"],
        cross_info_nce(coupled.intermediate_cls_2, coupled.intermediate_cls_1),
    )
    for name in ("nce", "ictm"):  # symmetric terms do not depend on the coin
        torch.testing.assert_close(one[name], two[name])


@pytest.mark.parametrize("switched_off", ["nce", "icnce", "icnce_intermediate", "ictm"])
def test_a_zero_weight_drops_the_term_from_the_loss_but_still_reports_it(coupled, switched_off):
    settings = replace(JointSettings(num_cross_attention_layers=1), **{f"weight_{switched_off}": 0})
    terms = joint_loss(coupled, settings, 1)
    expected = terms_by_hand(coupled, 1, settings.temperature)
    assert set(terms) == {"loss", *TERMS}
    torch.testing.assert_close(terms[switched_off], expected[switched_off])
    assert terms[switched_off] > 0
    kept = sum(value for name, value in expected.items() if name != switched_off)
    torch.testing.assert_close(terms["loss"], kept)


def test_no_intermediate_term_without_cross_attention(uncoupled):
    assert uncoupled.intermediate_cls_1 is None
    settings = JointSettings(num_cross_attention_layers=0)
    for anchor_tower in (1, 2):
        terms = joint_loss(uncoupled, settings, anchor_tower)
        assert set(terms) == {"loss", "nce", "icnce", "ictm"}
        expected = terms_by_hand(uncoupled, anchor_tower, settings.temperature)
        assert set(expected) == {"nce", "icnce", "ictm"}
        for name, value in expected.items():
            torch.testing.assert_close(terms[name], value)
        torch.testing.assert_close(
            terms["loss"], expected["nce"] + expected["icnce"] + expected["ictm"]
        )


def test_the_loss_backpropagates_into_both_towers(tiny_bert_path, tiny_bert_path_b):
    model = TwinTowerModel(
        AutoModel.from_pretrained(tiny_bert_path),
        AutoModel.from_pretrained(tiny_bert_path_b),
        TwinTowerConfig(1),
    )
    tokenizer = AutoTokenizer.from_pretrained(tiny_bert_path)
    batch = tokenizer(SENTENCES, padding="longest", return_tensors="pt")
    output = model(
        batch["input_ids"].repeat_interleave(2, dim=0),
        batch["attention_mask"].repeat_interleave(2, dim=0),
    )
    joint_loss(output, JointSettings(num_cross_attention_layers=1), 1)["loss"].backward()
    for tower in (model.tower_1, model.tower_2):
        assert tower.pooler.dense.weight.grad.abs().sum() > 0  # through the ICTM term
        assert tower.encoder.layer[0].attention.self.query.weight.grad.abs().sum() > 0


@pytest.mark.parametrize("anchor_tower", [0, 3, "1"])
def test_anchor_tower_must_be_one_or_two(coupled, anchor_tower):
    with pytest.raises(ValueError, match=f"anchor_tower must be 1 or 2; got {anchor_tower!r}"):
        joint_loss(coupled, JointSettings(num_cross_attention_layers=1), anchor_tower)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"length_chunks": 0}, "length_chunks must be >= 1; got 0"),
        ({"max_sentences": 0}, "max_sentences must be >= 1 or null; got 0"),
        ({"weight_nce": -0.5}, "weight_nce must be >= 0; got -0.5"),
        ({"weight_icnce_intermediate": -1.0}, "weight_icnce_intermediate must be >= 0"),
        ({"dropout": 1.0}, r"dropout must be in \[0, 1\); got 1.0"),
        ({"dropout": -0.1}, r"dropout must be in \[0, 1\); got -0.1"),
        (
            {"weight_nce": 0, "weight_icnce": 0, "weight_icnce_intermediate": 0, "weight_ictm": 0},
            "one of weight_nce, weight_icnce, weight_ictm, weight_icnce_intermediate must be > 0",
        ),
        (
            {"num_cross_attention_layers": 0, "weight_nce": 0, "weight_icnce": 0, "weight_ictm": 0},
            "one of weight_nce, weight_icnce, weight_ictm must be > 0",
        ),
    ],
)
def test_settings_validation_errors_name_the_parameter(values, message):
    with pytest.raises(ValueError, match=message):
        JointSettings(**values)


def test_settings_accept_single_terms_and_no_limit():
    assert JointSettings(max_sentences=None, dropout=0.0).max_sentences is None
    only_intermediate = JointSettings(weight_nce=0, weight_icnce=0, weight_ictm=0)
    assert only_intermediate.weight_icnce_intermediate == 1.0


def icnce_of_training_steps(
    path_1: Path, path_2: Path, n: int, seeds: range
) -> tuple[list[float], dict[int, float]]:
    """The ICNCE term that joint training's ``loss_fn`` computes on one batch, once per torch
    seed (the seed decides the coin), and the term for each anchor tower computed by hand; in
    eval mode, so only the coin can change it."""
    model = TwinTowerModel(
        AutoModel.from_pretrained(path_1), AutoModel.from_pretrained(path_2), TwinTowerConfig(n)
    ).eval()
    tokenizer = AutoTokenizer.from_pretrained(path_1)
    batch = tokenizer(SENTENCES, padding="longest", return_tensors="pt")
    batch = {key: batch[key].repeat_interleave(2, dim=0) for key in ("input_ids", "attention_mask")}
    # a low temperature makes the two directions of the untrained towers far apart
    settings = JointSettings(num_cross_attention_layers=n, temperature=0.002, length_chunks=1)
    loss_fn = joint_training_loss(settings)
    with torch.no_grad():
        output = model(batch["input_ids"], batch["attention_mask"])
        by_anchor = {
            a: joint_loss(output, settings, anchor_tower=a)["icnce"].item() for a in (1, 2)
        }
        values = []
        for seed in seeds:
            torch.manual_seed(seed)
            values.append(loss_fn(model, batch)["icnce"].item())
    assert abs(by_anchor[1] - by_anchor[2]) > 1e-3  # the direction is visible
    return values, by_anchor


def test_tncse_always_uses_icnce_from_tower_1_to_tower_2(tiny_bert_path, tiny_bert_path_b):
    """Defect found against TNCSE's ``train_dual.py``: the coin was drawn for n = 0 too."""
    values, by_anchor = icnce_of_training_steps(tiny_bert_path, tiny_bert_path_b, 0, range(12))
    assert values == pytest.approx([by_anchor[1]] * 12, abs=1e-5)


def test_jtcse_draws_both_icnce_directions(tiny_bert_path, tiny_bert_path_b):
    values, by_anchor = icnce_of_training_steps(tiny_bert_path, tiny_bert_path_b, 1, range(12))
    sides = [a for value in values for a in (1, 2) if abs(value - by_anchor[a]) < 1e-5]
    assert len(sides) == 12 and set(sides) == {1, 2}


# --- one short real run -------------------------------------------------------------------


def test_train_joint_trains_saves_and_resumes(tiny_bert_path, tiny_bert_path_b, sts_dev, tmp_path):
    settings = JointSettings(
        num_cross_attention_layers=1, max_sentences=16, max_length=32, length_chunks=2
    )
    config = TrainingConfig(
        learning_rate=1e-3, batch_size=4, max_steps=3, eval_every=2, checkpoint_every=2
    )

    def run():
        return train_joint(
            tiny_bert_path, tiny_bert_path_b, CORPUS, sts_dev, settings, config, tmp_path / "run"
        )

    folder_1, folder_2, result = run()
    assert result.global_step == 3
    assert [step for step, _ in result.dev_history] == [2, 3]
    best_step, best_score = max(result.dev_history, key=lambda entry: entry[1])
    assert (result.best_step, result.best_score) == (best_step, best_score)
    # decoupled selection: the two best towers, each alone, summed, scored apart
    reference = reference_dev_score(sts_dev, [folder_1, folder_2])
    assert result.best_score == pytest.approx(reference, abs=1e-6)
    assert set(result.last_metrics) >= {"loss", *TERMS}
    trained = []
    for folder, start in ((folder_1, tiny_bert_path), (folder_2, tiny_bert_path_b)):
        AutoTokenizer.from_pretrained(folder)
        state, initial = weights(folder), weights(start)
        assert state.keys() == initial.keys()
        assert any(not torch.equal(state[name], initial[name]) for name in state)
        recorded = json.loads((folder / "config.json").read_text())["jtcse"]
        assert recorded["num_cross_attention_layers"] == 1 and recorded["run"] == "jtcse"
        trained.append(state)
    assert any(not torch.equal(trained[0][n], trained[1][n]) for n in trained[0])
    stamps = [folder_stamp(folder) for folder in (folder_1, folder_2)]

    again_1, again_2, again = run()  # the finished run is returned, not trained again
    assert (again_1, again_2) == (folder_1, folder_2)
    assert again.global_step == 3
    assert (again.best_step, again.best_score) == (result.best_step, result.best_score)
    assert again.dev_history == result.dev_history
    assert [folder_stamp(folder) for folder in (folder_1, folder_2)] == stamps
    for folder, state in zip((folder_1, folder_2), trained, strict=True):
        reloaded = weights(folder)
        assert all(torch.equal(reloaded[name], state[name]) for name in state)


@pytest.mark.parametrize("selection", ["coupled", "decoupled"])
def test_selection_scores_the_coupled_or_the_decoupled_towers(
    tiny_bert_path, tiny_bert_path_b, sts_dev, tmp_path, selection
):
    settings = JointSettings(
        num_cross_attention_layers=1, max_sentences=8, max_length=32, selection=selection
    )
    config = TrainingConfig(learning_rate=1e-3, batch_size=4, max_steps=2, eval_every=100)

    folder_1, folder_2, result = train_joint(
        tiny_bert_path, tiny_bert_path_b, CORPUS, sts_dev, settings, config, tmp_path / "run"
    )

    pairs = dev_pairs(sts_dev)
    scores = {
        "coupled": score_pairs(pairs, CoupledTwinEncoder.load(folder_1, folder_2).encode),
        "decoupled": score_pairs(pairs, Encoder.load([folder_1, folder_2]).encode),
    }
    assert scores["coupled"][DEV_KEY] != pytest.approx(scores["decoupled"][DEV_KEY])
    assert result.best_score == pytest.approx(scores[selection][DEV_KEY], abs=1e-4)
