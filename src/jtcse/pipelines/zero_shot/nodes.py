"""Nodes of the ``zero_shot`` pipeline."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from jtcse.pipelines.evaluation.nodes import served_by
from jtcse.tracking import log_metrics

if TYPE_CHECKING:
    from matplotlib.figure import Figure

logger = logging.getLogger(__name__)


def convert_mteb_tasks(
    tasks: str | list[Any], data_root: Path, output_folder: Path
) -> dict[str, str]:
    """Convert the local copy of every listed task that has one into its Hub layout.

    Args:
        tasks: the task list (see ``evaluate_family``).
        data_root: the data root holding the local copies (``zero_shot_data``).
        output_folder: where the task folders go (``<output_folder>/<Task>``).

    Returns:
        Task name -> converted folder, for the tasks of ``tasks`` with a local copy (the
        others run from the Hub).
    """
    from jtcse.data.mteb_layout import READERS, write_task_folders
    from jtcse.evaluation.task_suites import parse_tasks

    local = [spec.name for spec in parse_tasks(tasks).mteb if spec.name in READERS]
    return write_task_folders(data_root, output_folder, local)


def evaluate_family(
    mteb_task_folders: dict[str, str],
    zero_shot_params: dict[str, Any],
    tasks: str | list[Any],
    data_root: Path,
    cache_folder: Path,
    results_folder: Path,
    **model_folders: str,
) -> pd.DataFrame:
    """Run every task of ``tasks`` for the encoders of ``zero_shot.encoders`` that this node's
    model folders serve (as the ``evaluation`` nodes split them).

    Args:
        mteb_task_folders: the local task folders (``convert_mteb_tasks``).
        zero_shot_params: ``encoders`` (name -> models, pooling, coupled, bf16, normalize,
            max_length), ``bf16`` and ``max_length`` (a spec's defaults), ``batch_size``.
        tasks: suite names, mteb task names or ``{name, subsets, per_subset}``, SentEval
            transfer task names (read from ``<data_root>/senteval``): ``zero_shot.tasks`` or
            the study's ``zero_shot_full.tasks``.
        data_root: the data root (``zero_shot_data``).
        cache_folder: the embedding cache.
        results_folder: where mteb's result files are written.
        model_folders: this family's model folders by catalog name.

    Returns:
        The zero-shot table of these encoders; each score is logged to MLflow as
        ``zero_shot.<encoder>.<task>``.
    """
    # imported here, not at the top: Kedro's start-up stays free of torch and mteb
    from jtcse.encoding.cache import EmbeddingCache
    from jtcse.evaluation.task_suites import parse_tasks
    from jtcse.evaluation.zero_shot import TABLE_COLUMNS, evaluate_zero_shot

    encoders = {
        name: spec
        for name, spec in zero_shot_params["encoders"].items()
        if served_by(spec["models"], set(model_folders))
    }
    if not encoders:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    tasks = parse_tasks(tasks)
    transfer_data = None
    if tasks.transfer:
        from jtcse.data.senteval_transfer import read_transfer_tasks

        transfer_data = read_transfer_tasks(data_root / "senteval", tasks.transfer)
    table = evaluate_zero_shot(
        encoders,
        tasks,
        mteb_task_folders,
        results_folder,
        cache=EmbeddingCache(cache_folder),
        bf16=zero_shot_params.get("bf16", False),
        batch_size=zero_shot_params.get("batch_size", 128),
        model_folders=model_folders,
        transfer_data=transfer_data,
        max_length=zero_shot_params.get("max_length"),
    )
    for row in table.itertuples():
        log_metrics({row.task: row.score}, f"zero_shot.{row.encoder}.")
    return table


def write_zero_shot_table(
    zero_shot_params: dict[str, Any], **family_tables: pd.DataFrame
) -> pd.DataFrame:
    """Every encoder's rows, in the order of ``zero_shot.encoders`` (then task order).

    Raises ValueError naming an encoder that no family scored (its models mix the trained
    folders of two stages).
    """
    table = pd.concat([t for t in family_tables.values() if len(t)], ignore_index=True)
    missing = [name for name in zero_shot_params["encoders"] if name not in set(table["encoder"])]
    if missing:
        raise ValueError(
            f"zero_shot.encoders.{missing[0]}: its models mix the trained folders of two "
            "stages (towers, joint, student); an encoder may name the folders of one only"
        )
    order = {name: index for index, name in enumerate(zero_shot_params["encoders"])}
    return table.sort_values("encoder", key=lambda c: c.map(order), kind="stable").reset_index(
        drop=True
    )


def report_zero_shot(
    zero_shot_results: pd.DataFrame, zero_shot_params: dict[str, Any]
) -> tuple[Figure, str, list[dict[str, Any]]]:
    """The heat map, the Markdown section of ``report.md`` and the win/tie/loss records.

    Args:
        zero_shot_results: the zero-shot table.
        zero_shot_params: ``report``: ``champion`` (an encoder), ``baselines`` (null: every
            other encoder), ``decimals`` (rounding before comparing), ``figure_link``.
    """
    from jtcse.reporting.zero_shot import markdown_section, plot_heat_map, win_tie_loss

    options = zero_shot_params["report"]
    champion = options["champion"]
    encoders = list(pd.unique(zero_shot_results["encoder"]))
    if champion not in encoders:  # e.g. a run restricted to the base model: compare the first
        logger.warning(
            "zero_shot.report.champion %r was not evaluated; comparing %r instead",
            champion,
            encoders[0],
        )
        champion = encoders[0]
    baselines = options.get("baselines") or [name for name in encoders if name != champion]
    baselines = [name for name in baselines if name in encoders and name != champion]
    comparisons = win_tie_loss(zero_shot_results, champion, baselines, options.get("decimals", 4))
    section = markdown_section(zero_shot_results, comparisons, champion, options["figure_link"])
    return plot_heat_map(zero_shot_results), section + "\n", comparisons.to_dict("records")
