"""Round-trip translation of the training corpus, one pivot language per tower."""

from jtcse.pipelines.round_trip_translation.pipeline import create_pipeline

__all__ = ["create_pipeline"]
