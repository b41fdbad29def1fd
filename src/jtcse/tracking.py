"""Log to MLflow when a run is active (kedro-mlflow opens one per ``kedro run``)."""

from __future__ import annotations

from collections.abc import Mapping


def log_metrics(metrics: Mapping[str, float], prefix: str = "", step: int | None = None) -> None:
    """Log ``metrics`` (names prefixed with ``prefix``) to the active MLflow run, if any.

    MLflow metric names may not contain spaces or '+', so those become '_'.
    """
    import mlflow

    if mlflow.active_run() is None:
        return
    clean = {_metric_name(prefix + name): float(value) for name, value in metrics.items()}
    mlflow.log_metrics(clean, step=step)


def log_artifact(path: str) -> None:
    """Attach a file to the active MLflow run, if any."""
    import mlflow

    if mlflow.active_run() is not None:
        mlflow.log_artifact(path)


def _metric_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "_-./" else "_" for c in name)
