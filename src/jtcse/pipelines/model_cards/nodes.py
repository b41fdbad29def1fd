"""Nodes of the ``model_cards`` pipeline."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any


def write_model_cards(
    sts_results: dict[str, dict[str, float | None]],
    onnx_export_report: dict[str, float],
    parameters: dict[str, Any],
    **model_folders: str,
) -> dict[str, dict[str, Any]]:
    """Write ``README.md`` into every model folder, atomically (a card is documentation: the
    folder digests that identify models leave it out, and DVC ignores it, see .dvcignore).

    Args:
        sts_results: the evaluation's scores by row.
        onnx_export_report: the ONNX export's measurements.
        parameters: the stages' parameters by stage name (``model_cards.zero_shot_results``:
            the zero_shot pipeline's CSV table, read when it exists).
        model_folders: the model folders by catalog name.

    Returns:
        Per folder: the card's path, its sha256 and the rows it shows (the stage's output).
    """
    # imported here, not at the top: Kedro's start-up stays free of heavy imports
    from jtcse.publishing.chain_cards import chain_model_card, read_zero_shot_results
    from jtcse.publishing.model_card import write_model_card

    zero_shot = read_zero_shot_results(parameters["model_cards"].get("zero_shot_results"))
    index = {}
    for name, folder in model_folders.items():
        card = chain_model_card(
            name, folder, parameters, sts_results, zero_shot, onnx_export_report
        )
        path = write_model_card(folder, card)
        index[name] = {
            "card": str(Path(path)),
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "sts_rows": list(card.sts_rows),
            "zero_shot_rows": list(card.zero_shot),
        }
    return index
