"""The ``mlm_pretraining`` study: a BERT pretrained with masked language modelling from
random weights on the training corpus (the base model of the regime study)."""

from jtcse.pipelines.mlm_pretraining.pipeline import create_pipeline

__all__ = ["create_pipeline"]
