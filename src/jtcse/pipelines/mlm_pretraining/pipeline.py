"""Wiring of the ``mlm_pretraining`` study (``kedro run --pipelines mlm_pretraining``,
``dvc repro studies/mlm_regime/dvc.yaml``)."""

from kedro.pipeline import Pipeline, node, pipeline

from jtcse.pipelines.mlm_pretraining.nodes import pretrain_node


def create_pipeline(**kwargs) -> Pipeline:
    """``training_corpus`` -> the ``mlm_base`` model folder and its training curve."""
    return pipeline(
        [
            node(
                pretrain_node,
                ["training_corpus", "mlm_base_work", "params:mlm_pretraining"],
                ["mlm_base", "mlm_base_training_curve"],
                name="pretrain_mlm",
            )
        ]
    )
