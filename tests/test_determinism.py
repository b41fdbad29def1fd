"""The ``runtime.deterministic`` switch: fp32 parameters in the run's catalog, torch made
deterministic on a fixed thread count."""

from __future__ import annotations

import os

import pytest
import torch
from kedro.io import DataCatalog

from jtcse.determinism import float32_parameters, runtime_settings
from jtcse.hooks import CompileSettingHook, DeterministicRunHook
from jtcse.modeling.compiling import COMPILE_VARIABLE

PARAMETERS = {
    "runtime": {"deterministic": True, "threads": 1},
    "tower_training": {
        "training": {"bf16": True, "seed": 42},
        "towers": {"tower_1": {"training": {"bf16": True}}},
    },
    "distillation": {"teacher_bf16": True, "training": {"bf16": True}},
    "evaluation": {
        "bf16": True,
        "encoders": {"student_bf16": {"models": ["student"], "bf16": True}},
    },
}


def test_float32_parameters_turn_off_every_bf16_switch_and_nothing_else():
    fp32 = float32_parameters(PARAMETERS)
    assert fp32["tower_training"]["training"] == {"bf16": False, "seed": 42}
    assert fp32["tower_training"]["towers"]["tower_1"]["training"]["bf16"] is False
    assert fp32["distillation"]["teacher_bf16"] is False
    assert fp32["evaluation"]["encoders"]["student_bf16"] == {"models": ["student"], "bf16": False}
    assert PARAMETERS["evaluation"]["bf16"] is True  # the input is not changed


@pytest.mark.parametrize(
    ("runtime", "message"),
    [
        ({"deterministic": "yes"}, "runtime.deterministic: expected true or false"),
        ({"threads": 0}, r"runtime.threads: expected an integer >= 1, got 0"),
        ({"compile": True}, r"runtime.compile: expected one of auto, on, off, got True"),
        ({"deterministic": True, "compile": "on"}, "runtime.compile: on contradicts"),
    ],
)
def test_bad_runtime_settings_name_the_parameter(runtime, message):
    with pytest.raises(ValueError, match=message):
        runtime_settings({"runtime": runtime})


def test_the_hook_gives_the_nodes_fp32_parameters_and_deterministic_torch():
    catalog = DataCatalog()
    catalog["parameters"] = PARAMETERS
    for name in ("tower_training", "distillation", "evaluation"):
        catalog[f"params:{name}"] = PARAMETERS[name]
    catalog["params:evaluation.bf16"] = True
    threads = torch.get_num_threads()
    try:
        DeterministicRunHook().before_pipeline_run({}, catalog)
        assert torch.are_deterministic_algorithms_enabled()
        assert torch.get_num_threads() == 1
    finally:
        torch.use_deterministic_algorithms(False)
        torch.set_num_threads(threads)
    assert catalog.load("params:tower_training")["training"]["bf16"] is False
    assert catalog.load("params:distillation")["teacher_bf16"] is False
    assert catalog.load("params:evaluation.bf16") is False
    assert catalog.load("parameters")["evaluation"]["bf16"] is False


def test_the_hook_changes_nothing_when_off():
    catalog = DataCatalog()
    catalog["parameters"] = {**PARAMETERS, "runtime": {"deterministic": False}}
    catalog["params:evaluation"] = PARAMETERS["evaluation"]
    DeterministicRunHook().before_pipeline_run({}, catalog)
    assert catalog.load("params:evaluation")["bf16"] is True
    assert not torch.are_deterministic_algorithms_enabled()


def test_a_deterministic_run_never_compiles():
    assert runtime_settings({"runtime": {"deterministic": True}}).compile == "off"
    assert runtime_settings({}).compile == "auto"


def _catalog(compile: str) -> DataCatalog:
    catalog = DataCatalog()
    catalog["parameters"] = {"runtime": {"compile": compile}}
    return catalog


def test_the_compile_hook_sets_the_variable_for_the_run_only(monkeypatch):
    monkeypatch.delenv(COMPILE_VARIABLE, raising=False)
    hook = CompileSettingHook()
    hook.before_pipeline_run({}, _catalog("off"))
    assert os.environ[COMPILE_VARIABLE] == "off"
    hook.after_pipeline_run()
    assert COMPILE_VARIABLE not in os.environ


def test_the_compile_hook_refuses_a_contradicting_variable(monkeypatch):
    monkeypatch.setenv(COMPILE_VARIABLE, "off")
    with pytest.raises(ValueError, match=r"\$JTCSE_COMPILE=off contradicts runtime.compile: on"):
        CompileSettingHook().before_pipeline_run({}, _catalog("on"))
    CompileSettingHook().before_pipeline_run({}, _catalog("off"))  # the same value is fine
