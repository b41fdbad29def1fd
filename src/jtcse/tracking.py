"""Log to MLflow when a run is active (kedro-mlflow opens one per ``kedro run``).

MLflow only records runs: where it is not installed (the library used on its own, a bare GPU
machine) logging does nothing and training goes on."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import ModuleType


def log_metrics(metrics: Mapping[str, float], prefix: str = "", step: int | None = None) -> None:
    """Log ``metrics`` (names prefixed with ``prefix``) to the active MLflow run, if any.

    MLflow metric names may not contain spaces or '+', so those become '_'.
    """
    mlflow = _active_mlflow()
    if mlflow is None:
        return
    clean = {_metric_name(prefix + name): float(value) for name, value in metrics.items()}
    mlflow.log_metrics(clean, step=step)


def log_artifact(path: str) -> None:
    """Attach a file to the active MLflow run, if any."""
    mlflow = _active_mlflow()
    if mlflow is not None:
        mlflow.log_artifact(path)


def set_tags(tags: Mapping[str, str]) -> None:
    """Tag the active MLflow run, if any."""
    mlflow = _active_mlflow()
    if mlflow is not None:
        mlflow.set_tags(dict(tags))


@contextmanager
def child_run(name: str, tags: Mapping[str, str]) -> Iterator[None]:
    """Inside the active MLflow run, a nested run ``name`` tagged with ``tags`` (and the
    parent's tags) that what runs in the block logs to; nothing without an active run."""
    mlflow = _active_mlflow()
    if mlflow is None:
        yield
        return
    inherited = mlflow.get_run(mlflow.active_run().info.run_id).data.tags
    tags = {key: value for key, value in inherited.items() if not key.startswith("mlflow.")} | dict(
        tags
    )
    with mlflow.start_run(run_name=name, nested=True, tags=tags):
        yield


def active_run_reference() -> tuple[str, str] | None:
    """``(tracking URI, run id)`` of the active MLflow run, for another process to log into;
    None without an active run."""
    mlflow = _active_mlflow()
    if mlflow is None:
        return None
    return mlflow.get_tracking_uri(), mlflow.active_run().info.run_id


def mark_killed(reference: tuple[str, str]) -> None:
    """Set the status of the run ``(tracking URI, run id)`` (ended or not) to KILLED."""
    from mlflow import MlflowClient

    tracking_uri, run_id = reference
    MlflowClient(tracking_uri=tracking_uri).set_terminated(run_id, "KILLED")


def _active_mlflow() -> ModuleType | None:
    """The mlflow module when it is installed and a run is active, else None."""
    try:
        import mlflow
    except ImportError:
        return None
    return mlflow if mlflow.active_run() is not None else None


def _metric_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "_-./" else "_" for c in name)


def run_tags(pipeline_names: list[str] | None, env: str | None) -> dict[str, str]:
    """Tags that say what produced a run: ``stage`` (the pipelines run), ``git_commit`` and
    ``git_dirty`` (tracked files changed in the working tree, when it is a git checkout; not
    counting ``dvc.lock``, which ``dvc repro`` rewrites after each stage), ``dvc_stage``
    (``DVC_STAGE``, set by ``dvc repro``; "none" for a plain ``kedro run``) and ``kedro_env``."""
    tags = {
        "stage": ",".join(pipeline_names or ["__default__"]),
        "dvc_stage": os.environ.get("DVC_STAGE", "none"),
        "kedro_env": env or "local",
    }
    commit = _git("rev-parse", "HEAD")
    if commit is not None:
        tags["git_commit"] = commit
        changes = _git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!dvc.lock")
        tags["git_dirty"] = str(bool(changes))
    return tags


def _git(*arguments: str) -> str | None:
    """The stripped output of ``git ARGUMENTS`` in the current directory; None outside a
    checkout or without git."""
    try:
        completed = subprocess.run(
            ["git", *arguments], capture_output=True, text=True, check=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return completed.stdout.strip()
