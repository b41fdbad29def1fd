"""Kedro hooks of the project: parameters are checked before anything runs, a deterministic run
is set up, and every MLflow run (kedro-mlflow opens one per ``kedro run``) is tagged with what
produced it."""

from __future__ import annotations

from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.io import CatalogProtocol

from jtcse.determinism import float32_parameters, make_torch_deterministic, runtime_settings
from jtcse.parameters import validate_parameters
from jtcse.tracking import run_tags, set_tags


class ParameterValidationHook:
    """Refuses a run whose parameters are bad before any node (any training) starts."""

    @hook_impl(tryfirst=True)
    def before_pipeline_run(self, run_params: dict[str, Any], catalog: CatalogProtocol) -> None:
        validate_parameters(catalog.load("parameters"))


class DeterministicRunHook:
    """With ``runtime.deterministic: true``: every ``bf16`` parameter becomes false in the
    run's catalog (``parameters`` and each ``params:<key path>``) and torch is made
    deterministic on ``runtime.threads`` threads (:mod:`jtcse.determinism`)."""

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], catalog: CatalogProtocol) -> None:
        parameters = catalog.load("parameters")
        deterministic, threads = runtime_settings(parameters)
        if not deterministic:
            return
        fp32 = float32_parameters(parameters)
        catalog["parameters"] = fp32
        for name, value in _parameter_paths(fp32, "params:"):
            if name in catalog:
                catalog[name] = value
        make_torch_deterministic(threads)


def _parameter_paths(tree: dict[str, Any], prefix: str):
    """``(params:a, value)``, ``(params:a.b, value)``, ... for every key path of ``tree``."""
    for key, value in tree.items():
        yield prefix + key, value
        if isinstance(value, dict):
            yield from _parameter_paths(value, f"{prefix}{key}.")


class MlflowRunTagsHook:
    """Tags the active MLflow run with the stage, the git commit, the DVC stage and the env.

    It runs after kedro-mlflow's own ``before_pipeline_run`` (``trylast``), which opens the run.
    """

    @hook_impl(trylast=True)
    def before_pipeline_run(self, run_params: dict[str, Any]) -> None:
        set_tags(run_tags(run_params.get("pipeline_names"), run_params.get("env")))
