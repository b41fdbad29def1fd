"""Kedro hooks of the project: parameters are checked before anything runs, a deterministic run
is set up, every MLflow run (kedro-mlflow opens one per ``kedro run``) is tagged with what
produced it, and a run stopped by SIGTERM or Ctrl-C ends as KILLED."""

from __future__ import annotations

import os
from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.io import CatalogProtocol

from jtcse.determinism import float32_parameters, make_torch_deterministic, runtime_settings
from jtcse.errors import print_error_line_last
from jtcse.interrupts import is_interruption, raise_on_interrupt, restore_handlers
from jtcse.modeling.compiling import COMPILE_VARIABLE
from jtcse.parameters import validate_parameters
from jtcse.tracking import active_run_reference, mark_killed, run_tags, set_tags


class ParameterValidationHook:
    """Refuses a run whose parameters are bad before any node (any training) starts; the
    run's output then ends with the error's one line (:mod:`jtcse.errors`)."""

    @hook_impl(tryfirst=True)
    def before_pipeline_run(self, run_params: dict[str, Any], catalog: CatalogProtocol) -> None:
        print_error_line_last()
        validate_parameters(catalog.load("parameters"))


class DeterministicRunHook:
    """With ``runtime.deterministic: true``: every ``bf16`` parameter becomes false in the
    run's catalog (``parameters`` and each ``params:<key path>``) and torch is made
    deterministic on ``runtime.threads`` threads (:mod:`jtcse.determinism`)."""

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], catalog: CatalogProtocol) -> None:
        parameters = catalog.load("parameters")
        if not runtime_settings(parameters).deterministic:
            return
        fp32 = float32_parameters(parameters)
        catalog["parameters"] = fp32
        for name, value in _parameter_paths(fp32, "params:"):
            if name in catalog:
                catalog[name] = value
        make_torch_deterministic(runtime_settings(parameters).threads)


class CompileSettingHook:
    """Puts ``runtime.compile`` (``off`` in a deterministic run) in ``$JTCSE_COMPILE`` for the
    run's nodes (:mod:`jtcse.modeling.compiling`) and takes it out when the run ends; a
    different value already there is an error, not silently overridden."""

    def __init__(self) -> None:
        self._set = False

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], catalog: CatalogProtocol) -> None:
        setting = runtime_settings(catalog.load("parameters")).compile
        present = os.environ.get(COMPILE_VARIABLE)
        if present not in (None, setting):
            raise ValueError(
                f"${COMPILE_VARIABLE}={present} contradicts runtime.compile: {setting}; "
                f"unset it or run with --params runtime.compile={present}"
            )
        self._set = present is None
        os.environ[COMPILE_VARIABLE] = setting

    @hook_impl
    def after_pipeline_run(self) -> None:
        self._restore()

    @hook_impl
    def on_pipeline_error(self) -> None:
        self._restore()

    def _restore(self) -> None:
        if self._set:
            os.environ.pop(COMPILE_VARIABLE, None)
            self._set = False


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


class InterruptedRunHook:
    """SIGTERM and Ctrl-C stop the run through Kedro's error path (:mod:`jtcse.interrupts`),
    and its MLflow run ends KILLED rather than FAILED (an error) or RUNNING for ever.

    Its ``before_pipeline_run`` runs after kedro-mlflow's (``trylast``), which opens the run;
    its ``on_pipeline_error`` after kedro-mlflow's, which ends the run as FAILED.
    """

    def __init__(self) -> None:
        self._previous_handlers: dict[int, Any] = {}
        self._run: tuple[str, str] | None = None

    @hook_impl(trylast=True)
    def before_pipeline_run(self) -> None:
        self._run = active_run_reference()
        self._previous_handlers = raise_on_interrupt()

    @hook_impl
    def after_pipeline_run(self) -> None:
        restore_handlers(self._previous_handlers)

    @hook_impl(trylast=True)
    def on_pipeline_error(self, error: Exception) -> None:
        restore_handlers(self._previous_handlers)
        if is_interruption(error) and self._run is not None:
            mark_killed(self._run)
