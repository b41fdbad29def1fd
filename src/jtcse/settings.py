"""Kedro project settings.

Configuration may read environment variables with ``${env:NAME,default}`` in parameters and the
catalog, and the data root (:func:`jtcse.paths.data_root`) with ``${data_root:}``. Parameters are
checked before a run starts, MLflow runs are tagged, and a run stopped by SIGTERM or Ctrl-C ends
as KILLED (:mod:`jtcse.hooks`).
"""

import os

from kedro.config import OmegaConfigLoader

from jtcse.hooks import (
    CompileSettingHook,
    DeterministicRunHook,
    InterruptedRunHook,
    MlflowRunTagsHook,
    ParameterValidationHook,
)
from jtcse.paths import data_root


def _environment_variable(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


HOOKS = (
    ParameterValidationHook(),
    DeterministicRunHook(),
    CompileSettingHook(),
    MlflowRunTagsHook(),
    # registered last, so called first of the trylast hooks: the signal handlers are in place
    # before MlflowRunTagsHook runs git
    InterruptedRunHook(),
)
CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    "custom_resolvers": {"env": _environment_variable, "data_root": lambda: str(data_root())},
}
