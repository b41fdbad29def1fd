"""Kedro project settings.

Configuration may read environment variables with ``${env:NAME,default}`` (for example the data
root ``${env:JTCSE_DATA_ROOT,../shared/data}``) in parameters and the catalog. Parameters are
checked before a run starts, and MLflow runs are tagged (:mod:`jtcse.hooks`).
"""

import os

from kedro.config import OmegaConfigLoader

from jtcse.hooks import MlflowRunTagsHook, ParameterValidationHook


def _environment_variable(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


HOOKS = (ParameterValidationHook(), MlflowRunTagsHook())
CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    "custom_resolvers": {"env": _environment_variable},
}
