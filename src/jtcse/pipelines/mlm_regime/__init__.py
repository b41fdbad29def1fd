"""The ``mlm_regime`` pipeline: the seeded study from the masked-language-model base (not part
of the default chain)."""

from jtcse.pipelines.mlm_regime.pipeline import create_pipeline

__all__ = ["create_pipeline"]
