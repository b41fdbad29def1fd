"""Parameter checks that run before any training: the shipped configurations pass, and each
kind of mistake fails with the parameter's path."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
from kedro.config import OmegaConfigLoader

from jtcse.evaluation.task_suites import DEFAULT_SUITE, TASK_SUITES
from jtcse.parameter_schema import parameter_schema
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


def _all_parameters(env: str) -> dict:
    """Every section as ``kedro run --env <env>`` loads them: ``conf/base``, each file of
    ``env`` replacing its sections."""
    return OmegaConfigLoader(str(CONF), base_env="base", default_run_env=env)["parameters"]


def _six_layers(model: str) -> int:
    return 6


@pytest.mark.parametrize(
    ("env", "depth"), [("base", 6), ("test", 2), ("paper", 12), ("paper_roberta", 12)]
)
def test_shipped_configurations_are_valid(env: str, depth: int) -> None:
    validate_parameters(_parameters(env), model_depth=lambda model: depth)


@pytest.mark.parametrize(
    ("env", "depth"), [("local", 6), ("test", 2), ("paper", 12), ("paper_roberta", 12)]
)
def test_every_section_of_every_shipped_configuration_is_valid(env: str, depth: int) -> None:
    parameters = _all_parameters(env)
    assert sorted(parameters) == sorted(parameter_schema())  # every section, none without one
    validate_parameters(parameters, model_depth=lambda model: depth)


@pytest.mark.parametrize(
    ("path", "hint"),
    [
        ("evaluaton", "did you mean 'evaluation'?"),  # an unknown top-level section
        ("evaluation.batchsize", "did you mean 'batch_size'?"),
        ("evaluation.encoders.tower_1.poolng", "did you mean 'pooling'?"),
        ("evaluation.encoders.jtcse_uc.uc.weight", "expected one of "),
        ("zero_shot.encoders.student.normalise", "did you mean 'normalize'?"),
        ("zero_shot.tasks[1].subset", "did you mean 'subsets'?"),
        ("zero_shot.report.champoin", "did you mean 'champion'?"),
        ("distillation.temperature", "did you mean 'settings.temperature'?"),  # a level too high
        ("uc_distillation.teacher_uc.extrnal_model", "did you mean 'external_model'?"),
        ("data_preparation.corpus.min_word", "did you mean 'min_words'?"),
        ("round_trip_translation.pivots.tower_1.forwards", "did you mean 'forward'?"),
        ("tower_training.towers.tower_2.training.learning_rat", "did you mean 'learning_rate'?"),
        ("jtcse_training.distributed.num_process", "did you mean 'num_processes'?"),
        ("ablation.bootstrap.resample", "did you mean 'resamples'?"),
        ("ablation.variants.jtcse.setting", "did you mean 'settings'?"),
        ("onnx_export.thresholds.min_cos", "did you mean 'min_cosine'?"),
        ("reporting.report.figure_links.sts_bar", "did you mean 'sts_bar_chart'?"),
        ("model_cards.licence", "did you mean 'license'?"),
        ("runtime.thread", "did you mean 'threads'?"),
        ("reporting.cls_attention_mass.learning_rate", "expected one of "),
    ],
)
def test_an_unknown_key_anywhere_is_refused_with_the_closest_valid_name(
    path: str, hint: str
) -> None:
    parameters = _all_parameters("local")
    # the suite's tasks written out: a list whose entries are checked
    parameters["zero_shot"]["tasks"] = copy.deepcopy(list(TASK_SUITES[DEFAULT_SUITE]))
    *parents, key = re.split(r"\.|\[(\d+)\]\.", path)
    tree = parameters
    for name in filter(None, parents):
        tree = tree[int(name)] if name.isdigit() else tree[name]
    tree[key] = 1
    with pytest.raises(ValueError, match=f"^{re.escape(path)}: unknown key; {re.escape(hint)}"):
        validate_parameters(parameters, model_depth=_six_layers)


@pytest.mark.parametrize("env", ["paper", "paper_roberta"])
def test_the_paper_settings_follow_the_authors_recipe(env: str) -> None:
    """docs/method.md#hyper-parameters and the authors' scripts: fp32, no clipping, AdamW's
    default decay on every parameter, selection on the coupled model, TNCSE at lr 1e-6 with low
    dropout."""
    parameters = _parameters(env)
    stages = [
        joint_run_settings(parameters["jtcse_training"], "jtcse"),
        joint_run_settings(parameters["jtcse_training"], "tncse"),
        distillation_run_settings(parameters["distillation"]),
    ]
    for config, _ in stages:
        assert (config.bf16, config.max_grad_norm) == (False, None)
        assert (config.weight_decay, config.weight_decay_scope) == (0.01, "all")
    (jtcse_config, jtcse), (tncse_config, tncse), _ = stages
    assert jtcse.selection == "coupled" and jtcse.num_cross_attention_layers == 6
    assert tncse_config.learning_rate == 1e-6 and tncse.num_cross_attention_layers == 0
    assert tncse.dropout == {"paper": 0.00025, "paper_roberta": 0.0175}[env]
    assert jtcse_config.learning_rate == {"paper": 1.3e-6, "paper_roberta": 1e-6}[env]
    assert jtcse_config.batch_size == {"paper": 64, "paper_roberta": 256}[env]


def test_an_unreachable_hub_base_model_is_named_in_one_line(monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    parameters = _parameters("test")
    parameters["tower_training"]["base_model"] = "jtcse-tests/no-such-model"
    with pytest.raises(
        ValueError,
        match=r"^tower_training\.base_model: cannot read the configuration of "
        r"'jtcse-tests/no-such-model'",
    ):
        validate_parameters(parameters)


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
            r"^tower_training\.trainig: unknown key; did you mean 'training'\?$",
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
            r"^tower_training\.towers\.tower_1\.setings: unknown key; did you mean 'settings'\?",
        ),
        (
            lambda p: p["jtcse_training"]["runs"]["jtcse"]["settings"].update(
                num_cross_attention_layers=4
            ),
            r"^jtcse_training\.runs\.jtcse\.settings\.num_cross_attention_layers: .*divide.*6",
        ),
        (
            lambda p: p["jtcse_training"]["runs"]["jtcse"]["settings"].update(
                coupling="value-swap"
            ),
            r"^jtcse_training\.runs\.jtcse\.settings: coupling must be one of .*'value-swap'",
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
            r"^distillation\.teacher_bf16 must be true, false or auto",
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
