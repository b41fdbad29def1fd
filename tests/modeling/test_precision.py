"""bf16 settings (jtcse.modeling.precision): true, false or auto, resolved per device."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch

from jtcse.encoding import load_pooled_model
from jtcse.evaluation.specs import EncoderSpec
from jtcse.field_checks import check_bf16_setting
from jtcse.modeling import precision
from jtcse.modeling.precision import native_bf16, resolve_bf16
from jtcse.parameters import teacher_bf16


@pytest.fixture(params=[True, False], ids=["native-bf16-cpu", "avx2-only-cpu"])
def native(request, monkeypatch) -> bool:
    """Runs a test as on a CPU with native bfloat16 (AMX) and as on one without."""
    monkeypatch.setattr(precision, "_cpu_bf16", lambda: request.param)
    precision._warn_emulated.cache_clear()
    return request.param


@pytest.mark.parametrize("setting", [True, False, "auto"])
def test_the_three_settings_are_accepted(setting):
    assert check_bf16_setting(setting, "evaluation.bf16") == setting


@pytest.mark.parametrize("setting", ["yes", "true", 1, 0, None, 1.0, ["auto"]])
def test_any_other_setting_is_refused_naming_where_it_was_read(setting):
    with pytest.raises(ValueError, match=r"^evaluation\.bf16 must be true, false or auto; got "):
        resolve_bf16(setting, "evaluation.bf16", "cpu")


def test_auto_is_bf16_exactly_where_the_device_has_it_natively(native):
    assert native_bf16("cpu") is native
    assert resolve_bf16("auto", device="cpu") is native
    assert resolve_bf16(False, device="cpu") is False
    assert native_bf16("meta") is False  # no device but CUDA and the CPU counts as native


def test_forcing_bf16_where_it_is_emulated_warns_once_and_still_runs_bf16(native, caplog):
    with caplog.at_level(logging.WARNING, logger=precision.__name__):
        assert resolve_bf16(True, "tower_training.training.bf16", "cpu") is True
        assert resolve_bf16(True, "tower_training.training.bf16", "cpu") is True
    warnings = [record.getMessage() for record in caplog.records]
    if native:
        assert warnings == []
    else:
        assert len(warnings) == 1
        assert warnings[0].startswith("tower_training.training.bf16: true on a device without")


def test_an_auto_encoder_loads_in_the_precision_the_device_runs(tiny_bert_path: Path, native):
    member = load_pooled_model(tiny_bert_path, bf16="auto")
    assert member.model.dtype == (torch.bfloat16 if native else torch.float32)
    # the embedding cache keys what ran: an emulated-bf16 machine shares the fp32 entries
    assert (
        member.cache_identities()
        == load_pooled_model(tiny_bert_path, bf16=native).cache_identities()
    )


def test_evaluation_specs_and_the_teacher_setting_read_auto(native):
    spec = EncoderSpec.from_parameters("student_bf16", {"models": ["m"], "bf16": "auto"}, False, {})
    assert spec.bf16 is native
    default = EncoderSpec.from_parameters("base_cls", {"models": ["m"]}, "auto", {})
    assert default.bf16 is native
    with pytest.raises(ValueError, match=r"^evaluation\.encoders\.x\.bf16 must be true, false"):
        EncoderSpec.from_parameters("x", {"models": ["m"], "bf16": "on"}, False, {})
    assert teacher_bf16({"teacher_bf16": "auto"}) == "auto"


def test_the_evaluation_tags_each_row_with_the_precision_it_ran_in(
    tiny_bert_path: Path, tmp_path: Path, native
):
    import mlflow

    from jtcse.data.senteval import EVALUATION_SPLITS, read_sts_tasks
    from jtcse.pipelines.evaluation.nodes import evaluate_family
    from tests.fixtures.senteval import write_senteval_fixture

    table = read_sts_tasks(write_senteval_fixture(tmp_path / "senteval"), splits=EVALUATION_SPLITS)
    parameters = {
        "bf16": "auto",
        "encoders": {
            "asked_auto": {"models": [str(tiny_bert_path)]},
            "asked_fp32": {"models": [str(tiny_bert_path)], "bf16": False},
        },
    }
    previous_uri = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    mlflow.set_experiment("precision")
    try:
        with mlflow.start_run() as run:
            evaluate_family(table, parameters, tmp_path / "embeddings")
        tags = mlflow.MlflowClient().get_run(run.info.run_id).data.tags
    finally:
        mlflow.set_tracking_uri(previous_uri)
    assert (tags["asked_auto.bf16"], tags["asked_fp32.bf16"]) == (str(native), "False")
