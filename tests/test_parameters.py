"""Parameter checks that run before any training: the shipped configurations pass, and each
kind of mistake fails with the parameter's path."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from kedro.config import OmegaConfigLoader

from jtcse.parameters import (
    distillation_run_settings,
    joint_run_settings,
    tower_run_settings,
    validate_parameters,
)

CONF = Path(__file__).resolve().parents[1] / "conf"
STAGES = (
    "round_trip_translation",
    "tower_training",
    "jtcse_training",
    "distillation",
    "uc_distillation",
)


def _parameters(env: str) -> dict:
    """The training stages' parameters of ``env`` as Kedro loads them (``${globals:...}``
    resolved): each stage's file of ``env`` alone."""
    loaded = OmegaConfigLoader(str(CONF), base_env=env, default_run_env=env)["parameters"]
    return {stage: loaded[stage] for stage in STAGES if stage in loaded}


def _six_layers(model: str) -> int:
    return 6


@pytest.mark.parametrize(("env", "depth"), [("base", 6), ("test", 2), ("paper", 12)])
def test_shipped_configurations_are_valid(env: str, depth: int) -> None:
    validate_parameters(_parameters(env), model_depth=lambda model: depth)


def test_the_base_model_depth_is_read_from_its_configuration(tiny_bert_path: Path) -> None:
    parameters = _parameters("test")
    parameters["tower_training"]["base_model"] = str(tiny_bert_path)  # 2 layers
    parameters["jtcse_training"]["runs"]["jtcse"]["settings"]["num_cross_attention_layers"] = 2
    validate_parameters(parameters)
    parameters["jtcse_training"]["runs"]["jtcse"]["settings"]["num_cross_attention_layers"] = 3
    with pytest.raises(
        ValueError,
        match=r"runs\.jtcse\.settings\.num_cross_attention_layers.*"
        r"divide.*have 2 layers",
    ):
        validate_parameters(parameters)


def _broken(edit) -> dict:
    parameters = copy.deepcopy(_parameters("base"))
    edit(parameters)
    return parameters


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda p: p["tower_training"].update(trainig={}),
            r"^tower_training: unknown key\(s\) \['trainig'\]",
        ),
        (
            lambda p: p["tower_training"]["training"].update(batch_size=64.5),
            r"^tower_training\.towers\.tower_1\.training\.batch_size: expected",
        ),
        (
            lambda p: p["tower_training"]["towers"]["tower_2"]["settings"].update(dropout=1.5),
            r"^tower_training\.towers\.tower_2\.settings: dropout must be in \[0, 1\)",
        ),
        (
            lambda p: p["tower_training"]["towers"]["tower_1"].update(setings={}),
            r"^tower_training\.towers\.tower_1: unknown key\(s\) \['setings'\]",
        ),
        (
            lambda p: p["jtcse_training"]["runs"]["jtcse"]["settings"].update(
                num_cross_attention_layers=4
            ),
            r"^jtcse_training\.runs\.jtcse\.settings\.num_cross_attention_layers: .*divide.*6",
        ),
        (
            lambda p: p["jtcse_training"]["settings"].update(weight_nce="1"),
            r"^jtcse_training\.runs\.(tncse|jtcse)\.settings\.weight_nce: expected",
        ),
        (
            lambda p: p["distillation"]["training"].update(batch_size=0),
            r"^distillation\.training: batch_size",
        ),
        (
            lambda p: p["distillation"].update(teacher_bf16="yes"),
            r"^distillation\.teacher_bf16: expected true or false",
        ),
        (lambda p: p["distillation"].pop("student_init"), r"^distillation: missing key"),
        (
            lambda p: p["jtcse_training"].update(distributed={"num_processes": 0}),
            r"^jtcse_training\.distributed: ",
        ),
        (lambda p: p.update(jtcse_training=[1]), r"^jtcse_training: expected a mapping"),
    ],
)
def test_each_mistake_names_the_parameter(edit, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_parameters(_broken(edit), model_depth=_six_layers)


def test_run_settings_merge_the_shared_values_with_the_overrides() -> None:
    parameters = _parameters("base")
    config, settings = tower_run_settings(parameters["tower_training"], "tower_2")
    assert (
        config.seed == 2
        and config.batch_size == parameters["tower_training"]["training"]["batch_size"]
    )
    assert settings.augmentation == "word_deletion"
    _, joint = joint_run_settings(parameters["jtcse_training"], "tncse")
    assert joint.num_cross_attention_layers == 0
    config, _ = distillation_run_settings(parameters["distillation"])
    assert config.learning_rate == parameters["distillation"]["training"]["learning_rate"]
    with pytest.raises(ValueError, match=r"tower_training\.towers: no entry 'tower_3'"):
        tower_run_settings(parameters["tower_training"], "tower_3")


def test_a_bad_uc_teacher_is_refused_with_its_path() -> None:
    parameters = copy.deepcopy(_parameters("base"))
    parameters["uc_distillation"]["teacher_uc"]["w"] = 1.5
    with pytest.raises(ValueError, match=r"^uc_distillation\.teacher_uc: w must be in \[0, 1\]"):
        validate_parameters(parameters, model_depth=_six_layers)
    parameters["uc_distillation"]["teacher_uc"] = "infocse"
    with pytest.raises(ValueError, match=r"^uc_distillation\.teacher_uc: expected a mapping"):
        validate_parameters(parameters, model_depth=_six_layers)
