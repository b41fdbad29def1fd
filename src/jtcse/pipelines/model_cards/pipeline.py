"""Wiring of the ``model_cards`` pipeline."""

from kedro.pipeline import Pipeline, node, pipeline

from jtcse.pipelines.model_cards.nodes import write_model_cards
from jtcse.publishing.chain_cards import FOLDER_RUNS


def create_pipeline(**kwargs) -> Pipeline:
    """Model folders + ``sts_results`` + the ONNX export report + parameters -> a README.md in
    each folder and the index of cards (``model_cards_index``)."""
    inputs = {
        "sts_results": "sts_results",
        "onnx_export_report": "onnx_export_report",
        "parameters": "parameters",
    } | {folder: folder for folder in FOLDER_RUNS}
    return pipeline(
        [node(write_model_cards, inputs, "model_cards_index", name="write_model_cards")]
    )
