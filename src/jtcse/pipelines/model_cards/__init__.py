"""Write the model card (README.md) of every model folder the chain trained or exported."""

from jtcse.pipelines.model_cards.pipeline import create_pipeline

__all__ = ["create_pipeline"]
