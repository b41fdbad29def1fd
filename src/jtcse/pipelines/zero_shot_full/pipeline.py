"""Wiring of the ``zero_shot_full`` study (``kedro run --pipelines zero_shot_full``,
``dvc repro studies/zero_shot/dvc.yaml``): the nodes of ``zero_shot`` in the namespace
``zero_shot_full``, reading the same encoders, data, model folders and embedding cache, and
the task list ``zero_shot_full.tasks``; each output is the default chain's name with the
prefix ``zero_shot_full.``."""

from kedro.pipeline import Pipeline, pipeline

from jtcse.pipelines.evaluation.nodes import FAMILIES
from jtcse.pipelines.zero_shot.pipeline import PARAMETERS, SHARED_INPUTS, zero_shot_pipeline

NAMESPACE = "zero_shot_full"


def create_pipeline(**kwargs) -> Pipeline:
    """The zero-shot nodes on the full suite, in their own namespace."""
    tasks = f"params:{NAMESPACE}.tasks"
    model_folders = {folder for folders in FAMILIES.values() for folder in folders}
    return pipeline(
        zero_shot_pipeline(tasks),
        namespace=NAMESPACE,
        inputs=model_folders | SHARED_INPUTS,
        parameters={PARAMETERS, tasks},
    )
