"""Wiring of the ``zero_shot`` pipeline: task conversion, one node per encoder family (as in
``evaluation``), the table, then the report section. The ``zero_shot_full`` study runs the
same nodes on another task list, ``mlm_regime_zero_shot`` on another study's models
(:func:`zero_shot_pipeline`)."""

from collections.abc import Mapping

from kedro.pipeline import Pipeline, node, pipeline

from jtcse.pipelines.evaluation.nodes import FAMILIES
from jtcse.pipelines.zero_shot.nodes import (
    convert_mteb_tasks,
    evaluate_family,
    report_zero_shot,
    write_zero_shot_table,
)

PARAMETERS = "params:zero_shot"
# what every zero-shot run reads and no run writes: the data, the embedding cache (shared by
# the default chain's quick suite and the full study), the task folders' work directory
SHARED_INPUTS = frozenset({"zero_shot_data", "embedding_cache", "mteb_task_root"})


def zero_shot_pipeline(
    tasks: str,
    settings: str = PARAMETERS,
    families: Mapping[str, tuple[str, ...]] = FAMILIES,
) -> Pipeline:
    """Local task copies -> Hub-layout folders; folders + model folders + encoders in
    parameters -> mteb results per family -> one table -> heat map, Markdown, win/tie/loss.

    Args:
        tasks: the parameter holding the task list (``params:zero_shot.tasks``).
        settings: the input holding the encoders, precision, batch size and report options
            (``params:zero_shot``, or a dataset shaped like it).
        families: family -> its model folders, one scoring node each (default: the chain's).
    """
    inputs = {
        "mteb_task_folders": "mteb_task_folders",
        "zero_shot_params": settings,
        "tasks": tasks,
        "data_root": "zero_shot_data",
        "cache_folder": "embedding_cache",
        "results_folder": "mteb_results_folder",
    }
    scoring = [
        node(
            evaluate_family,
            inputs | {folder: folder for folder in folders},
            f"{family}_zero_shot_table",
            name=f"zero_shot_{family}",
        )
        for family, folders in families.items()
    ]
    return pipeline(
        [
            node(
                convert_mteb_tasks,
                {"tasks": tasks, "data_root": "zero_shot_data", "output_folder": "mteb_task_root"},
                "mteb_task_folders",
                name="convert_mteb_tasks",
            ),
            *scoring,
            node(
                write_zero_shot_table,
                {"zero_shot_params": settings}
                | {family: f"{family}_zero_shot_table" for family in families},
                "zero_shot_results",
                name="write_zero_shot_table",
            ),
            node(
                report_zero_shot,
                ["zero_shot_results", settings],
                ["zero_shot_heat_map_figure", "zero_shot_markdown", "zero_shot_win_tie_loss"],
                name="report_zero_shot",
            ),
        ]
    )


def create_pipeline(**kwargs) -> Pipeline:
    """The default chain's zero-shot stage: ``zero_shot.tasks`` (the quick suite)."""
    return zero_shot_pipeline(f"{PARAMETERS}.tasks")
