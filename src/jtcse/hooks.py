"""Kedro hooks of the project: parameters are checked before anything runs, and every MLflow
run (kedro-mlflow opens one per ``kedro run``) is tagged with what produced it."""

from __future__ import annotations

from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.io import CatalogProtocol

from jtcse.parameters import validate_parameters
from jtcse.tracking import run_tags, set_tags


class ParameterValidationHook:
    """Refuses a run whose parameters are bad before any node (any training) starts."""

    @hook_impl(tryfirst=True)
    def before_pipeline_run(self, run_params: dict[str, Any], catalog: CatalogProtocol) -> None:
        validate_parameters(catalog.load("parameters"))


class MlflowRunTagsHook:
    """Tags the active MLflow run with the stage, the git commit, the DVC stage and the env.

    It runs after kedro-mlflow's own ``before_pipeline_run`` (``trylast``), which opens the run.
    """

    @hook_impl(trylast=True)
    def before_pipeline_run(self, run_params: dict[str, Any]) -> None:
        set_tags(run_tags(run_params.get("pipeline_names"), run_params.get("env")))
