"""The masked-language-model pretraining of the regime study, as MLflow recorded it: the
training loss and masked-token accuracy every ``log_every`` steps, the held-out masked-token
loss (nats, perplexity exp(loss)) and accuracy at every evaluation, and the run's wall time.
Writes a JSON file and a figure of the two loss curves.

    python benchmarks/mlm_pretraining_report.py \
        --output benchmarks/results/mlm_regime/mlm_pretraining.json

Reads the newest finished MLflow run named ``mlm_pretraining`` (``dvc repro
studies/mlm_regime/dvc.yaml`` or ``kedro run --pipelines mlm_pretraining`` made it) from the
project's tracking store (``MLFLOW_TRACKING_URI``, default ``sqlite:///mlflow.db``).
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure
from mlflow.tracking import MlflowClient

from jtcse.atomic import write_json_atomic
from jtcse.datasets import FigureDataset

PREFIX = "mlm."  # the metric prefix of jtcse.training.mlm.pretrain


def finished_run(client: MlflowClient, name: str) -> Any:
    """The newest FINISHED run named ``name`` in any experiment."""
    experiments = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(
        experiments,
        f"attributes.run_name = '{name}' and attributes.status = 'FINISHED'",
        order_by=["attributes.start_time DESC"],
        max_results=1,
    )
    if not runs:
        raise SystemExit(f"no finished MLflow run named {name!r} in {client.tracking_uri}")
    return runs[0]


def history(client: MlflowClient, run_id: str, key: str) -> list[Any]:
    """The values of metric ``key`` in the order they were logged."""
    return sorted(client.get_metric_history(run_id, PREFIX + key), key=lambda m: m.timestamp)


def report(client: MlflowClient, run: Any) -> dict[str, Any]:
    """The curves and evaluations of ``run``. The held-out metrics pair with the evaluation
    steps (``dev_score`` = -held-out loss, logged with its step) in logging order."""
    run_id = run.info.run_id
    losses, accuracies = history(client, run_id, "loss"), history(client, run_id, "accuracy")
    evaluations = history(client, run_id, "dev_score")
    held_loss = history(client, run_id, "held_out_loss")
    held_accuracy = history(client, run_id, "held_out_accuracy")
    if not len(evaluations) == len(held_loss) == len(held_accuracy):
        raise SystemExit(f"run {run_id}: the evaluations and held-out metrics differ in count")
    for dev, loss in zip(evaluations, held_loss, strict=True):
        if not math.isclose(dev.value, -loss.value, rel_tol=1e-6):
            raise SystemExit(f"run {run_id}: held-out loss {loss.value} is not -{dev.value}")
    seconds = (run.info.end_time - run.info.start_time) / 1000
    steps = max(m.step for m in losses)
    best = min(range(len(held_loss)), key=lambda i: held_loss[i].value)
    return {
        "run_id": run_id,
        "parameters": {k: v for k, v in run.data.params.items() if k.startswith("mlm_pre")},
        "steps": steps,
        "seconds": round(seconds, 1),
        "steps_per_second": round(steps / seconds, 3),
        "evaluations": [
            {
                "step": dev.step,
                "held_out_loss": loss.value,
                "perplexity": math.exp(loss.value),
                "held_out_accuracy": accuracy.value,
            }
            for dev, loss, accuracy in zip(evaluations, held_loss, held_accuracy, strict=True)
        ],
        "best_step": evaluations[best].step,
        "training_curve": [
            {"step": loss.step, "loss": loss.value, "accuracy": accuracy.value}
            for loss, accuracy in zip(losses, accuracies, strict=True)
        ],
    }


def plot(result: dict[str, Any], path: Path) -> None:
    """Training and held-out masked-token loss against the step."""
    figure = Figure(figsize=(6, 3.5))
    axis = figure.add_subplot()
    curve, held = result["training_curve"], result["evaluations"]
    axis.plot([r["step"] for r in curve], [r["loss"] for r in curve], label="training batch")
    axis.plot([r["step"] for r in held], [r["held_out_loss"] for r in held], "o-", label="held out")
    axis.set_xlabel("step")
    axis.set_ylabel("masked-token loss (nats)")
    axis.legend()
    FigureDataset(str(path)).save(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run-name", default="mlm_pretraining")
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    client = MlflowClient(os.environ.get("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db"))
    result = report(client, finished_run(client, args.run_name))
    write_json_atomic(args.output, result)
    plot(result, args.output.with_suffix(".png"))
    last = result["evaluations"][-1]
    print(
        f"{result['steps']} steps in {result['seconds']:.0f} s "
        f"({result['steps_per_second']:.2f} steps/s); held-out loss {last['held_out_loss']:.3f} "
        f"(perplexity {last['perplexity']:.1f}), accuracy {last['held_out_accuracy']:.3f}"
    )
    print(f"wrote {args.output} and {args.output.with_suffix('.png')}")


if __name__ == "__main__":
    main()
