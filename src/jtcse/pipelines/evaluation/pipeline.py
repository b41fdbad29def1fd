"""Wiring of the ``evaluation`` pipeline: one node per encoder family, then the table."""

from kedro.pipeline import Pipeline, node, pipeline

from jtcse.pipelines.evaluation.nodes import FAMILIES, evaluate_family, write_sts_table


def create_pipeline(**kwargs) -> Pipeline:
    """``sts_pairs`` + trained model folders + encoders in parameters -> per family scores
    (reading and filling the embedding cache) -> results JSON and Markdown table."""
    inputs = {
        "sts_pairs": "sts_pairs",
        "evaluation_params": "params:evaluation",
        "cache_folder": "embedding_cache",
    }
    families = [
        node(
            evaluate_family,
            inputs | {folder: folder for folder in folders},
            f"{family}_sts_scores",
            name=f"evaluate_{family}",
        )
        for family, folders in FAMILIES.items()
    ]
    table = node(
        write_sts_table,
        {"evaluation_params": "params:evaluation"}
        | {family: f"{family}_sts_scores" for family in FAMILIES},
        ["sts_results", "sts_results_markdown"],
        name="write_sts_table",
    )
    return pipeline([*families, table])
