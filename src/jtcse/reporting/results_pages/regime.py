"""The tables of the MLM regime that are not a seeded study's: the masked-language-model
pretraining (``benchmarks/mlm_pretraining_report.py``) and the [CLS] attention mass per layer
(the study's ``cls_attention_mass.json``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from jtcse.reporting.results_pages.formatting import Section, figure, fixed, markdown_table
from jtcse.reporting.results_pages.machines import machine_of
from jtcse.reporting.results_pages.reading import ResultFile


def mlm_pretraining(result: ResultFile, project: Path) -> Section:
    """``mlm_pretraining.json``: held-out masked-token loss (nats), perplexity and accuracy
    at each evaluation, the run's steps, seconds and steps per second, the loss figure."""
    data = result.data
    rows = [
        [
            row.get("step"),
            fixed(row.get("held_out_loss"), 3),
            fixed(row.get("perplexity"), 1),
            fixed(100 * row["held_out_accuracy"], 1) if "held_out_accuracy" in row else None,
        ]
        for row in data.get("evaluations", [])
        if isinstance(row, Mapping)
    ]
    plot = figure(result, project, f"{result.stem}.png", "MLM pretraining: loss per step")
    return Section(
        title="Masked-language-model pretraining",
        sources=[result.source],
        machine=machine_of(result),
        body="\n\n".join(
            [
                f"{data.get('steps')} steps in {fixed(data.get('seconds'), 0)} s "
                f"({fixed(data.get('steps_per_second'))} steps/s); the model kept is the one "
                f"with the lowest held-out loss (step {data.get('best_step')}).",
                markdown_table(
                    ["step", "held-out loss", "perplexity", "held-out accuracy (%)"], rows
                ),
            ]
        ),
        command="python benchmarks/mlm_pretraining_report.py",
        notes=[plot] if plot else [],
    )


def cls_attention_mass(result: ResultFile, project: Path) -> Section:
    """``cls_attention_mass.json`` (:mod:`jtcse.reporting.attention`): the attention every
    query token puts on the [CLS] key, per layer, for each tower pair alone and coupled by
    cross-attention (the mean of the two towers), with the figure beside it."""
    data = result.data
    layers = data.get("layers", [])
    rows = [
        [
            pair,
            mode,
            *(
                fixed(100 * sum(v[i] for v in towers.values()) / len(towers), 1)
                for i in range(len(layers))
            ),
        ]
        for pair, modes in data.get("mass", {}).items()
        for mode, towers in modes.items()
        if towers
    ]
    crossed = ", ".join(str(layer) for layer in data.get("cross_attention_layers", []))
    plot = figure(result, project, f"{result.stem}.png", "attention mass on CLS per layer")
    return Section(
        title=f"`{result.folder or result.stem}`",
        sources=[result.source],
        machine=machine_of(result),
        body="\n\n".join(
            [
                "Attention probability × 100 on the [CLS] key, mean over heads, query tokens, "
                f"sentences and the two towers; coupled: with the cross-attention of layers "
                f"{crossed}.",
                markdown_table(["towers", "mode", *(f"layer {n}" for n in layers)], rows),
            ]
        ),
        notes=[plot] if plot else [],
    )


def tower_distance(result: ResultFile, project: Path) -> Section:
    """``tower_distance.json`` (``benchmarks/tower_distance.py``): per pair of towers, the
    relative distance of their layer weights, of their [CLS] states each alone, and of each
    tower's [CLS] coupled against alone, in percent."""
    data = result.data
    rows = [
        [
            name,
            *(
                fixed(100 * pair[key], 3)
                for key in ("weight_distance", "tower_gap", "coupling_effect")
            ),
        ]
        for name, pair in data.get("pairs", {}).items()
    ]
    return Section(
        title=f"`{result.stem}`",
        sources=[result.source],
        machine=machine_of(result),
        body="\n\n".join(
            [
                "Relative distances × 100: `weights` ||W_1 − W_2|| / ||W_1|| over the layer "
                "tensors; `towers alone` the mean over sentences of ||h_1 − h_2|| / ||h_1||, "
                "the [CLS] states of the towers each alone; `coupled vs alone` the same "
                "between a tower's [CLS] coupled (value swap, "
                f"n = {data.get('cross_attention_layers')}) and alone, mean of the two "
                f"towers; on {data.get('sentences')} STS-B dev sentences, float32.",
                markdown_table(["pair", "weights", "towers alone", "coupled vs alone"], rows),
            ]
        ),
        command="python benchmarks/tower_distance.py",
    )
