"""Wiring of the ``zero_shot`` pipeline: task conversion, one node per encoder family (as in
``evaluation``), the table, then the report section."""

from kedro.pipeline import Pipeline, node, pipeline

from jtcse.pipelines.evaluation.nodes import FAMILIES
from jtcse.pipelines.zero_shot.nodes import (
    convert_mteb_tasks,
    evaluate_family,
    report_zero_shot,
    write_zero_shot_table,
)


def create_pipeline(**kwargs) -> Pipeline:
    """Local task copies -> Hub-layout folders; folders + model folders + encoders in
    parameters -> mteb results per family -> one table -> heat map, Markdown, win/tie/loss."""
    params = "params:zero_shot"
    inputs = {
        "mteb_task_folders": "mteb_task_folders",
        "zero_shot_params": params,
        "data_root": "zero_shot_data",
        "cache_folder": "embedding_cache",
        "results_folder": "mteb_results_folder",
    }
    families = [
        node(
            evaluate_family,
            inputs | {folder: folder for folder in folders},
            f"{family}_zero_shot_table",
            name=f"zero_shot_{family}",
        )
        for family, folders in FAMILIES.items()
    ]
    return pipeline(
        [
            node(
                convert_mteb_tasks,
                {
                    "zero_shot_params": params,
                    "data_root": "zero_shot_data",
                    "output_folder": "mteb_task_root",
                },
                "mteb_task_folders",
                name="convert_mteb_tasks",
            ),
            *families,
            node(
                write_zero_shot_table,
                {"zero_shot_params": params}
                | {family: f"{family}_zero_shot_table" for family in FAMILIES},
                "zero_shot_results",
                name="write_zero_shot_table",
            ),
            node(
                report_zero_shot,
                ["zero_shot_results", params],
                ["zero_shot_heat_map_figure", "zero_shot_markdown", "zero_shot_win_tie_loss"],
                name="report_zero_shot",
            ),
        ]
    )
