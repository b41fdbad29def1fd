"""Tests of the tower settings (corpus shards, caps, validation) and one short real tower run."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from transformers import AutoTokenizer

from jtcse.augmentation import augmented_pair_collator, make_augmentation
from jtcse.modeling.loading import load_model_and_tokenizer
from jtcse.training import TowerSettings, TrainingConfig, train, train_tower
from jtcse.training.checkpoints import latest_checkpoint
from jtcse.training.run import model_overrides
from jtcse.training.towers import tower_loss
from tests.fixtures.training_runs import CORPUS, folder_stamp, reference_dev_score, weights

TRAINED_WEIGHT = "encoder.layer.1.output.dense.weight"
NUMBERED = [f"sentence {index}" for index in range(10)]


@pytest.mark.parametrize(
    ("shard", "num_shards", "max_sentences", "expected"),
    [
        (None, 2, None, list(range(10))),
        (None, 2, 4, [0, 1, 2, 3]),
        (0, 2, None, [0, 2, 4, 6, 8]),
        (1, 2, None, [1, 3, 5, 7, 9]),
        (1, 3, None, [1, 4, 7]),
        (2, 3, None, [2, 5, 8]),
        (1, 2, 3, [1, 3, 5]),  # the cap applies to the shard: its first 3 sentences
        (0, 3, 100, [0, 3, 6, 9]),  # a cap above the shard size keeps the whole shard
        (0, 1, None, list(range(10))),
    ],
)
def test_select_takes_the_shard_then_caps_it(shard, num_shards, max_sentences, expected):
    settings = TowerSettings(corpus_shard=shard, num_shards=num_shards, max_sentences=max_sentences)
    assert settings.select(NUMBERED) == [NUMBERED[index] for index in expected]
    assert settings.select(tuple(NUMBERED)) == [NUMBERED[index] for index in expected]


@pytest.mark.parametrize("num_shards", [2, 3, 4])
def test_the_shards_partition_the_corpus(num_shards):
    shards = [
        TowerSettings(corpus_shard=shard, num_shards=num_shards).select(NUMBERED)
        for shard in range(num_shards)
    ]
    together = [sentence for shard in shards for sentence in shard]
    assert sorted(together) == sorted(NUMBERED)
    assert len(set(together)) == len(NUMBERED)  # disjoint


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"length_chunks": 0}, "length_chunks must be >= 1; got 0"),
        ({"dropout": 1.0}, r"dropout must be in \[0, 1\); got 1.0"),
        ({"dropout": -0.01}, r"dropout must be in \[0, 1\); got -0.01"),
        ({"max_sentences": 0}, "max_sentences must be >= 1 or null; got 0"),
        ({"corpus_shard": 2}, r"corpus_shard must be in \[0, num_shards=2\); got 2"),
        ({"corpus_shard": -1}, r"corpus_shard must be in \[0, num_shards=2\); got -1"),
        ({"corpus_shard": 0, "num_shards": 0}, r"corpus_shard must be in \[0, num_shards=0\)"),
        ({"augmentation": "rtt"}, "augmentation must be one of .* got 'rtt'"),
        (
            {"augmentation": "word_deletion", "augmentation_probability": 1.0},
            r"augmentation_probability must be in \[0, 1\); got 1.0",
        ),
    ],
)
def test_settings_validation_errors_name_the_parameter(values, message):
    with pytest.raises(ValueError, match=message):
        TowerSettings(**values)


def test_settings_accept_valid_values():
    settings = TowerSettings(
        dropout=0.0, corpus_shard=2, num_shards=3, augmentation="word_repetition"
    )
    assert settings.corpus_shard == 2 and settings.augmentation == "word_repetition"


# --- one short real run -------------------------------------------------------------------


def test_train_tower_trains_saves_and_resumes(tiny_bert_path, sts_dev, tmp_path):
    settings = TowerSettings(
        corpus_shard=0,
        max_sentences=10,
        augmentation="word_deletion",
        max_length=32,
        length_chunks=2,
    )
    config = TrainingConfig(
        learning_rate=1e-3, batch_size=4, max_steps=3, eval_every=2, checkpoint_every=2
    )

    def run():
        return train_tower(
            str(tiny_bert_path), CORPUS, sts_dev, settings, config, tmp_path / "run", name="t1"
        )

    folder, result = run()
    assert folder == tmp_path / "run" / "best"
    assert result.global_step == 3
    assert [step for step, _ in result.dev_history] == [2, 3]
    best_step, best_score = max(result.dev_history, key=lambda entry: entry[1])
    assert (result.best_step, result.best_score) == (best_step, best_score)
    # the best folder scores what selection recorded, by an encoder and Spearman computed apart
    assert result.best_score == pytest.approx(reference_dev_score(sts_dev, [folder]), abs=1e-6)
    assert {"loss", "nce"} <= set(result.last_metrics)
    AutoTokenizer.from_pretrained(folder)
    state, initial = weights(folder), weights(tiny_bert_path)
    assert state.keys() == initial.keys()
    assert any(not torch.equal(state[name], initial[name]) for name in state)
    stamp = folder_stamp(folder)

    again_folder, again = run()  # the finished run is returned, not trained again
    assert again_folder == folder
    assert again.global_step == 3
    assert (again.best_step, again.best_score) == (result.best_step, result.best_score)
    assert again.dev_history == result.dev_history
    assert folder_stamp(folder) == stamp
    reloaded = weights(folder)
    assert all(torch.equal(reloaded[name], state[name]) for name in state)


class Interrupted(Exception):
    """Stands in for a crash in the middle of training."""


def test_an_interrupted_word_deletion_tower_resumes_bit_for_bit(tiny_bert_path, tmp_path):
    """Word deletion draws from Python's ``random`` at collate time and dropout from torch's
    generator: the checkpoint's RNG states must carry both across the interruption."""
    settings = TowerSettings(
        augmentation="word_deletion", augmentation_probability=0.3, max_length=32, length_chunks=1
    )
    config = TrainingConfig(
        learning_rate=1e-3, batch_size=4, max_steps=6, checkpoint_every=3, log_every=1
    )
    views: list[str] = []

    def run(directory, log_metrics=None):
        model, tokenizer = load_model_and_tokenizer(
            str(tiny_bert_path), **model_overrides(settings.dropout, config.bf16)
        )
        augment = make_augmentation(settings.augmentation, settings.augmentation_probability)
        collate = augmented_pair_collator(
            tokenizer, settings.max_length, lambda s: views.append(augment(s)) or views[-1]
        )
        loss_fn = tower_loss(settings)
        train(model, CORPUS, collate, loss_fn, config, directory, log_metrics=log_metrics)
        return model.state_dict()

    def interrupt_after_step_5(metrics, step):
        if step == 5:
            raise Interrupted

    expected = run(tmp_path / "full")
    assert len(views) == 6 * 4 and sum(view not in CORPUS for view in views) >= 6  # words went
    with pytest.raises(Interrupted):
        run(tmp_path / "resumed", interrupt_after_step_5)
    assert latest_checkpoint(tmp_path / "resumed").name == "step-00000003"
    # a new process has other states in all three generators: the checkpoint restores them
    random.seed(12345)
    np.random.seed(12345)
    torch.manual_seed(12345)
    resumed = run(tmp_path / "resumed")
    assert expected.keys() == resumed.keys()
    assert [name for name in expected if not torch.equal(expected[name], resumed[name])] == []
    initial = weights(tiny_bert_path)
    assert not torch.equal(expected[TRAINED_WEIGHT], initial[TRAINED_WEIGHT])
