"""The encoder as an MLflow pyfunc model, and the tags that say what produced a run."""

from __future__ import annotations

import subprocess
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow.exceptions import MlflowException

from jtcse.encoding import Encoder
from jtcse.mlflow_model import log_encoder_model
from jtcse.tracking import run_tags

SENTENCES = ["a man is playing a guitar .", "a dog runs in the park ."]


@pytest.fixture
def tracking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the default artifact root is relative to the cwd
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    mlflow.set_experiment("encoder-model")  # not an experiment id left by an earlier test
    yield
    mlflow.set_tracking_uri(None)


def test_a_logged_encoder_loads_with_pyfunc_and_encodes_like_the_encoder(
    tiny_bert_path: Path, tracking: None
) -> None:
    assert log_encoder_model(tiny_bert_path, "student") is None  # no active run: nothing logged
    with mlflow.start_run():
        uri = log_encoder_model(tiny_bert_path, "student")
    model = mlflow.pyfunc.load_model(uri)
    expected = Encoder.load(tiny_bert_path).encode(SENTENCES)
    from_frame = model.predict(pd.DataFrame({"sentence": SENTENCES}))
    assert from_frame.shape == expected.shape == (2, 32)
    np.testing.assert_allclose(from_frame, expected, atol=1e-6)
    with pytest.raises(MlflowException, match=r"missing inputs \['sentence'\]"):
        model.predict(pd.DataFrame({"text": SENTENCES}))


def test_run_tags_name_the_stage_commit_and_dvc_stage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DVC_STAGE", raising=False)
    tags = run_tags(["distillation"], None)
    assert tags == {"stage": "distillation", "dvc_stage": "none", "kedro_env": "local"}

    subprocess.run(["git", "init", "-q"], check=True)
    Path("a.txt").write_text("a\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "add", "a.txt"], check=True)
    subprocess.run([*git, "commit", "-qm", "a"], check=True)
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    monkeypatch.setenv("DVC_STAGE", "distillation")
    tags = run_tags(["distillation", "evaluation"], "test")
    assert tags == {
        "stage": "distillation,evaluation",
        "dvc_stage": "distillation",
        "kedro_env": "test",
        "git_commit": commit,
        "git_dirty": "False",
    }
    Path("dvc.lock").write_text("schema: '2.0'\n")
    subprocess.run([*git, "add", "dvc.lock"], check=True)
    subprocess.run([*git, "commit", "-qm", "lock"], check=True)
    Path("dvc.lock").write_text("schema: '2.0'\nstages: {}\n")  # what dvc repro does
    assert run_tags(None, None)["git_dirty"] == "False"
    Path("a.txt").write_text("b\n")
    assert run_tags(None, None)["git_dirty"] == "True"
