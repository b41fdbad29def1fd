"""Tests of the tower settings (corpus shards, caps, validation) and one short real tower run."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoTokenizer

from jtcse.training import TowerSettings, TrainingConfig, train_tower
from tests.fixtures.training_runs import CORPUS, folder_stamp, weights

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
    assert result.best_step in (2, 3) and result.best_score is not None
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
