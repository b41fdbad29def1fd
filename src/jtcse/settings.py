"""Kedro project settings.

Configuration may read environment variables with ``${env:NAME,default}`` in parameters and the
catalog, and the data root (:func:`jtcse.paths.data_root`) with ``${data_root:}``. Parameters are
checked before a run starts, and MLflow runs are tagged (:mod:`jtcse.hooks`).
"""

import os

from kedro.config import OmegaConfigLoader

from jtcse.hooks import DeterministicRunHook, MlflowRunTagsHook, ParameterValidationHook
from jtcse.paths import data_root


def _environment_variable(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


HOOKS = (ParameterValidationHook(), DeterministicRunHook(), MlflowRunTagsHook())
CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    "custom_resolvers": {"env": _environment_variable, "data_root": lambda: str(data_root())},
}
