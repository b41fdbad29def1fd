"""``tower_training`` on 2 processes from Kedro (``tower_training.distributed.num_processes``)
against 1 process, on ``conf/test``: the same checkpoint format, a resumable checkpoint, a
standard model folder, and rank 0's metrics in the ``kedro run``'s MLflow run."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
import pytest
import torch
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from transformers import AutoModel

from jtcse.training.checkpoints import latest_checkpoint, read_checkpoint

WORK = Path("data/07_model_output/work/tower_1")

# slow: see the README (pytest -m "not slow" leaves it out); CPU processes on gloo, on GPU
# machines too (JTCSE_DEVICE=cpu)
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("cpu_device")]


def run_tower_1(project: Path, num_processes: int) -> None:
    """``kedro run --pipelines tower_training --nodes tower_1.train`` with ``num_processes``."""
    bootstrap_project(project)
    params = {"tower_training": {"distributed": {"num_processes": num_processes}}}
    with KedroSession.create(project_path=project, env="test", runtime_params=params) as session:
        session.run(pipeline_names=["tower_training"], node_names=["tower_1.train"])


def checkpoint_format(checkpoint: Path) -> dict[str, Any]:
    """Files, object keys, tensor shapes and metadata keys of a checkpoint (not the values)."""
    objects, metadata = read_checkpoint(checkpoint)

    def shapes(value: Any) -> Any:
        if isinstance(value, torch.Tensor):
            return ("tensor", tuple(value.shape), value.dtype)
        if isinstance(value, dict):
            return {key: shapes(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [shapes(item) for item in value]
        return type(value).__name__

    return {
        "name": checkpoint.name,
        "files": sorted(path.name for path in checkpoint.iterdir()),
        "objects": {name: shapes(value) for name, value in objects.items()},
        "metadata": {
            name: sorted(value) for name, value in metadata.items() if isinstance(value, dict)
        },
        "progress": {name: type(value).__name__ for name, value in metadata["progress"].items()},
    }


def test_two_processes_write_the_one_process_checkpoint_and_it_resumes(
    test_project: Path, run_pipelines
) -> None:
    run_pipelines(["data_preparation"])
    run_tower_1(test_project, num_processes=1)
    one_process = test_project / "one_process"
    shutil.move(test_project / WORK, one_process)

    run_tower_1(test_project, num_processes=2)
    checkpoint = latest_checkpoint(test_project / WORK / "checkpoints")
    reference = latest_checkpoint(one_process / "checkpoints")
    assert checkpoint_format(checkpoint) == checkpoint_format(reference)
    objects, metadata = read_checkpoint(checkpoint)
    assert metadata["progress"]["global_step"] == 2  # conf/test: 16 sentences, batches of 8
    assert metadata["config_fingerprint"] == read_checkpoint(reference)[1]["config_fingerprint"]
    # Other processes draw other dropout masks: trained, but not the 1-process weights.
    one_process_weights = read_checkpoint(reference)[0]["model"]
    assert any(
        not torch.equal(value, one_process_weights[name])
        for name, value in objects["model"].items()
    )

    folder = test_project / "data/06_models/tower_1"
    model = AutoModel.from_pretrained(folder)
    model.load_state_dict(objects["model"])  # the checkpoint's model is the plain tower
    assert AutoModel.from_pretrained(test_project / WORK / "best").config == model.config

    # The finished 2-process checkpoint resumes (here on 1 process): nothing is trained again.
    stamp = checkpoint.stat().st_ino
    curve_file = test_project / "data/08_reporting/training_curves/tower_1.csv"
    curve = pd.read_csv(curve_file)
    run_tower_1(test_project, num_processes=1)
    assert latest_checkpoint(test_project / WORK / "checkpoints").stat().st_ino == stamp
    resumed_curve = pd.read_csv(curve_file)  # the same curve (its columns may come sorted)
    pd.testing.assert_frame_equal(resumed_curve[curve.columns], curve)

    # Rank 0 logged into the MLflow run of `kedro run`, which the launching process ended.
    mlflow.set_tracking_uri(f"sqlite:///{test_project / 'mlflow.db'}")
    runs = mlflow.search_runs(experiment_names=["jtcse"], order_by=["start_time ASC"])
    assert len(runs) == 4  # data_preparation, then tower_1 on 1, 2 and 1 processes
    two_processes = runs.iloc[2]
    assert two_processes["status"] == "FINISHED"
    history = mlflow.MlflowClient().get_metric_history(two_processes["run_id"], "tower_1.loss")
    assert [metric.step for metric in history] == [1, 2]
    assert two_processes["params.tower_training.distributed.num_processes"] == "2"
