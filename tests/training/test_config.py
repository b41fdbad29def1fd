"""Tests of building settings objects from parameter dictionaries (``jtcse.config``)."""

from __future__ import annotations

import re

import pytest

from jtcse.parameters import build_settings
from jtcse.training import JointSettings, TowerSettings, TrainingConfig

WHERE = "tower_training.towers.tower_1.settings"


def raises_at(path: str, detail: str):
    """Expect a ValueError whose message starts with ``path: `` and mentions ``detail``."""
    return pytest.raises(ValueError, match=rf"^{re.escape(path)}: .*{detail}")


def test_valid_values_build_the_dataclass():
    config = build_settings(
        TrainingConfig,
        {"learning_rate": 3e-5, "batch_size": 64, "max_steps": None, "bf16": False},
        "tower_training.training",
    )
    assert config == TrainingConfig(learning_rate=3e-5, batch_size=64, max_steps=None)
    tower = build_settings(
        TowerSettings, {"corpus_shard": 1, "augmentation": "word_deletion"}, WHERE
    )
    assert tower == TowerSettings(corpus_shard=1, augmentation="word_deletion")
    joint = build_settings(JointSettings, {"num_cross_attention_layers": 0}, "jtcse_training")
    assert joint == JointSettings(num_cross_attention_layers=0)


@pytest.mark.parametrize("values", [None, {}])
def test_no_values_give_the_defaults(values):
    assert build_settings(JointSettings, values, "jtcse_training.settings") == JointSettings()
    assert build_settings(TowerSettings, values, WHERE) == TowerSettings()


def test_unknown_key_is_named_with_the_path():
    with raises_at(f"{WHERE}.drop_out", r"unknown key; did you mean 'dropout'\?"):
        build_settings(TowerSettings, {"drop_out": 0.1}, WHERE)
    with raises_at("jtcse_training.settings.weight_tm", r"did you mean 'weight_ictm'\?"):
        build_settings(JointSettings, {"weight_tm": 1.0}, "jtcse_training.settings")


@pytest.mark.parametrize(
    ("cls", "name", "value", "type_name"),
    [
        (TrainingConfig, "learning_rate", "1e-5", "str"),  # YAML 1.1 reads 1e-5 as a string
        (TowerSettings, "dropout", "0.1", "str"),
        (JointSettings, "weight_ictm", True, "bool"),  # bool is an int, not a float here
        (TrainingConfig, "batch_size", True, "bool"),  # bool is an int in Python
        (TowerSettings, "max_sentences", False, "bool"),
        (TrainingConfig, "batch_size", 64.0, "float"),
        (JointSettings, "num_cross_attention_layers", 1.5, "float"),
        (TrainingConfig, "bf16", 1, "int"),
        (TowerSettings, "augmentation", 3, "int"),
        (JointSettings, "coupling", ["value_swap"], "list"),
    ],
)
def test_wrong_type_is_named_with_the_parameter_path(cls, name, value, type_name):
    values = {"learning_rate": 1e-3, "batch_size": 8} if cls is TrainingConfig else {}
    with raises_at(f"{WHERE}.{name}", rf"expected .*, got {type_name} {re.escape(repr(value))}"):
        build_settings(cls, {**values, name: value}, WHERE)


@pytest.mark.parametrize(
    ("cls", "name"),
    [
        (TowerSettings, "dropout"),
        (TowerSettings, "max_length"),
        (JointSettings, "temperature"),
        (JointSettings, "coupling"),
        (TrainingConfig, "seed"),
    ],
)
def test_none_for_a_field_that_is_not_optional_is_a_wrong_type(cls, name):
    values = {"learning_rate": 1e-3, "batch_size": 8} if cls is TrainingConfig else {}
    with raises_at(f"{WHERE}.{name}", "got NoneType None"):
        build_settings(cls, {**values, name: None}, WHERE)


def test_int_is_accepted_for_float_and_none_for_optional_fields():
    config = build_settings(
        TrainingConfig,
        {"learning_rate": 1, "batch_size": 8, "num_epochs": None, "max_steps": 5},
        "training",
    )
    assert config.learning_rate == 1 and config.num_epochs is None
    tower = build_settings(
        TowerSettings,
        {"dropout": 0, "corpus_shard": None, "max_sentences": None, "augmentation": None},
        WHERE,
    )
    assert tower.corpus_shard is None and tower.max_sentences is None
    assert tower.augmentation is None and tower.dropout == 0
    joint = build_settings(JointSettings, {"max_sentences": None, "weight_nce": 2}, "joint")
    assert joint.max_sentences is None and joint.weight_nce == 2


@pytest.mark.parametrize(
    ("cls", "values", "message"),
    [
        (TowerSettings, {"dropout": 1.0}, r"dropout must be in \[0, 1\); got 1.0"),
        (TowerSettings, {"corpus_shard": 2, "num_shards": 2}, "corpus_shard must be in"),
        (TowerSettings, {"augmentation": "back_translation"}, "augmentation must be one of"),
        (TowerSettings, {"length_chunks": 0}, "length_chunks must be >= 1; got 0"),
        (JointSettings, {"weight_icnce": -1.0}, "weight_icnce must be >= 0; got -1.0"),
        (JointSettings, {"max_sentences": 0}, "max_sentences must be >= 1 or null; got 0"),
        (TrainingConfig, {"learning_rate": 1e-3}, "missing 1 required .*'batch_size'"),
        (TrainingConfig, {"learning_rate": -1.0, "batch_size": 8}, "learning_rate must be"),
        (
            TrainingConfig,
            {"learning_rate": 1e-3, "batch_size": 8, "num_epochs": None},
            "num_epochs and max_steps are both None",
        ),
    ],
)
def test_dataclass_validation_errors_are_prefixed_with_the_path(cls, values, message):
    with raises_at(WHERE, message) as error:
        build_settings(cls, values, WHERE)
    assert error.value.__suppress_context__  # one clean message, not a chained traceback
