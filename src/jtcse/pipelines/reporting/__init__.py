"""Figures, the [CLS] attention measurement and the Markdown report of the results."""

from jtcse.pipelines.reporting.pipeline import create_pipeline

__all__ = ["create_pipeline"]
