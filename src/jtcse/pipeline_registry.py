"""The project's pipelines, one per folder of ``jtcse.pipelines``."""

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

# Long studies that run only when named (``kedro run --pipelines ablation``): pipeline ->
# its folder under ``studies/`` (``dvc repro studies/<folder>/dvc.yaml``).
STUDIES = {
    "ablation": "ablation",
    "zero_shot_full": "zero_shot",
    "mlm_pretraining": "mlm_regime",
    "mlm_regime": "mlm_regime",
}


def register_pipelines() -> dict[str, Pipeline]:
    """Every pipeline by its folder name; ``__default__`` runs them all in dependency order,
    except the :data:`STUDIES`."""
    pipelines = find_pipelines(raise_errors=True)
    chain = [pipe for name, pipe in pipelines.items() if name not in STUDIES]
    pipelines["__default__"] = sum(chain, Pipeline([]))
    return pipelines
