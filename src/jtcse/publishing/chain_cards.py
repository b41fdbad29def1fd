"""The model card of each model folder the chain writes, from the stage's parameters and what
the chain measured (:mod:`jtcse.publishing.model_card` renders it).

Which stage and run wrote a folder is :data:`FOLDER_RUNS`; the card's STS rows are the rows of
``evaluation.encoders`` whose ``models`` name the folder; its zero-shot rows are the entries of
the zero-shot results file under the same row names, when that file exists.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from jtcse.chain.folders import MODEL_FOLDERS
from jtcse.modeling.names import hub_id
from jtcse.modeling.uc_ensemble import UcEnsemble, weighted_spec_formula
from jtcse.parameters import (
    distillation_run_settings,
    joint_run_settings,
    teacher_bf16,
    tower_run_settings,
    uc_teacher,
)
from jtcse.publishing.model_card import ModelCard

# catalog folder -> (stage, run): the run is a tower, a joint run, or the ONNX variant
FOLDER_RUNS = {folder.name: (folder.stage, folder.run) for folder in MODEL_FOLDERS}
EXPORT_MEASUREMENTS = ("max_abs_difference", "min_cosine", "dev_fp32", "dev_int8")


def chain_model_card(
    name: str,
    folder: str | Path,
    parameters: Mapping[str, Any],
    sts_results: Mapping[str, Mapping[str, float | None]] | None,
    zero_shot: Mapping[str, Mapping[str, float]] | None = None,
    export_report: Mapping[str, float] | None = None,
) -> ModelCard:
    """The card of the catalog folder ``name`` (a key of :data:`FOLDER_RUNS`).

    Args:
        name: the folder's catalog name; folder: its path.
        parameters: the run's parameters by stage (``tower_training``, ``jtcse_training``,
            ``distillation``, ``onnx_export``, ``evaluation``, ``model_cards``).
        sts_results: the evaluation's scores by row (None: not evaluated yet).
        zero_shot: zero-shot scores by row (row -> task -> score x 100), or None.
        export_report: the ONNX export's measurements (for the ONNX folders).
    """
    if name not in FOLDER_RUNS:
        raise ValueError(f"model_cards: no card for {name!r}; cards exist for {list(FOLDER_RUNS)}")
    stage, run = FOLDER_RUNS[name]
    folder = Path(folder)
    publishing = parameters["model_cards"]
    base_model, settings, training = _stage_facts(name, stage, run, parameters, export_report)
    encoders = parameters["evaluation"]["encoders"]
    default_bf16 = parameters["evaluation"].get("bf16", False)
    rows = [row for row, spec in encoders.items() if name in spec["models"]]
    # the rows of the base model alone (e.g. base_cls, base_mean), for reference
    reference = [
        row
        for row, spec in encoders.items()
        if list(spec["models"]) == [str(base_model)] and "uc" not in spec and row not in rows
    ]
    notes = {row: _row_note(encoders[row], default_bf16) for row in rows}
    notes |= {row: "the base model, " + _row_note(encoders[row], default_bf16) for row in reference}
    shown = [*rows, *reference]
    return ModelCard(
        title=name,
        training=training,
        base_model=hub_id(base_model),
        base_model_name=str(base_model),
        settings=settings,
        hidden_size=_hidden_size(folder),
        max_length=int(settings["settings.max_length"]),
        onnx=stage == "onnx_export",
        sentence_transformers_folder=(folder / "modules.json").is_file(),
        sts_rows={row: sts_results[row] for row in shown if sts_results and row in sts_results},
        row_notes=notes,
        results_note=(publishing.get("base_model_notes") or {}).get(str(base_model), ""),
        zero_shot={row: dict(zero_shot[row]) for row in rows if zero_shot and row in zero_shot},
        license=publishing["license"],
        datasets=publishing.get("datasets") or (),
        data_note=publishing.get("data_note", ""),
    )


def read_zero_shot_results(path: str | Path | None) -> dict[str, dict[str, float]] | None:
    """The zero_shot pipeline's table (``zero_shot_results.csv``: encoder, task, category,
    ..., score) as row name -> task -> main score x 100, then ``<category> average`` -> the
    mean of the row's tasks of that category (as the report's category means); None when
    there is no such file."""
    if path is None or not Path(path).is_file():
        return None
    import pandas as pd

    try:
        table = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: not a CSV table ({error})") from None
    missing = {"encoder", "task", "category", "score"} - set(table.columns)
    if missing:
        raise ValueError(f"{path}: expected the zero-shot table, missing columns {sorted(missing)}")
    scores = pd.to_numeric(table["score"], errors="coerce")
    if scores.isna().any():
        line = int(scores.isna().to_numpy().argmax()) + 2  # the header is line 1
        raise ValueError(f"{path}, line {line}: score is not a number")
    table = table.assign(score=100 * scores.astype(float))
    results: dict[str, dict[str, float]] = {}
    for encoder, rows in table.groupby("encoder", sort=False):
        averages = rows.groupby("category", sort=False)["score"].mean()
        results[str(encoder)] = dict(zip(rows["task"].astype(str), rows["score"], strict=True)) | {
            f"{category} average": float(mean) for category, mean in averages.items()
        }
    return results


def _stage_facts(
    name: str,
    stage: str,
    run: str,
    parameters: Mapping[str, Any],
    export_report: Mapping[str, float] | None,
) -> tuple[str, dict[str, Any], str]:
    """(base model name, settings, training paragraph) of the stage and run."""
    if stage == "tower_training":
        config, settings = tower_run_settings(parameters[stage], run)
        base = parameters[stage]["base_model"]
        return base, _flat(config, settings), _tower_text(settings)
    if stage == "jtcse_training":
        config, settings = joint_run_settings(parameters[stage], run)
        base = parameters["tower_training"]["base_model"]
        return base, _flat(config, settings), _joint_text(name, settings)
    distillation = parameters["uc_distillation" if stage == "uc_distillation" else "distillation"]
    config, settings = distillation_run_settings(distillation)
    flat = {"teacher_bf16": teacher_bf16(distillation), **_flat(config, settings)}
    uc = uc_teacher(distillation, stage)
    if uc is not None:
        flat |= {f"teacher_uc.{key}": value for key, value in asdict(uc).items()}
    text = _student_text(distillation["student_init"], settings.weight_contrastive, uc)
    if stage == "onnx_export":
        text += "\n\n" + _export_text(run, export_report or {})
        flat = {f"onnx_export.{key}": value for key, value in _export_params(parameters)} | flat
    return distillation["student_init"], flat, text


def _flat(config: Any, settings: Any) -> dict[str, Any]:
    return {f"training.{key}": value for key, value in asdict(config).items()} | {
        f"settings.{key}": value for key, value in asdict(settings).items()
    }


def _export_params(parameters: Mapping[str, Any]) -> list[tuple[str, Any]]:
    export = parameters.get("onnx_export", {})
    thresholds = export.get("thresholds") or {}
    return [("parity_sentences", export.get("parity_sentences")), *thresholds.items()]


def _tower_text(settings: Any) -> str:
    shard = (
        "the whole training corpus"
        if settings.corpus_shard is None
        else f"shard {settings.corpus_shard} of {settings.num_shards} of the training corpus"
    )
    views = "two dropout-noised encodings of each sentence"
    if settings.augmentation == "round_trip":
        views = (
            "a dropout-noised encoding of each sentence and one of its round-trip "
            "translation through the tower's pivot language"
        )
    elif settings.augmentation is not None:
        views = (
            f"a dropout-noised encoding of each sentence and one of its "
            f"{settings.augmentation} view (probability {settings.augmentation_probability})"
        )
    return (
        "Stage 1 of JTCSE, unsupervised SimCSE: starting from the base model, one tower learns "
        f"with InfoNCE (temperature {settings.temperature}) that {views} match, the other "
        f"sentences of the batch being negatives. It trains on {shard} "
        f"({_sentences(settings.max_sentences)}); the step with the best STS-B dev Spearman "
        "is kept. Two such towers, made to differ, are the input of stage 2."
    )


def _joint_text(name: str, settings: Any) -> str:
    layers = settings.num_cross_attention_layers
    coupling = (
        "without cross-attention (TNCSE)"
        if layers == 0
        else f"coupled by {layers} cross-attention layers ({settings.coupling}; JTCSE)"
    )
    return (
        f"Stage 2 of JTCSE: the two stage-1 towers train jointly, {coupling}, with InfoNCE per "
        "tower, InfoNCE between the towers and the tensor-modulus constraint (ICTM) on the "
        f"[CLS] embeddings ({_sentences(settings.max_sentences)}); the step with the best "
        f"STS-B dev Spearman is kept. This folder is tower {name[-1]} of the pair: the paper "
        "encodes with the sum of both towers' [CLS] vectors, each tower alone."
    )


def _student_text(student_init: str, weight: float, uc: UcEnsemble | None) -> str:
    teacher = (
        "the frozen JTCSE ensemble t(x) = h1_CLS(x) + h2_CLS(x)"
        if uc is None
        else "the frozen UC ensemble t(x) = (1 - w)(h1_CLS(x) + h2_CLS(x)) + w h_ext(x) of the "
        f"JTCSE pair and the external encoder `{uc.external_model}` ({uc.external_pooling} "
        f"pooling), w = {uc.w}"
    )
    name = "JTCSE-D" if uc is None else "JTCSE-UC-D"
    return (
        f"Stage 3 of JTCSE ({name}): one tower, initialised from `{student_init}`, distilled "
        f"from {teacher}, with the loss k InfoNCE + (1 - k) mean |s(x) - t(x)| (k = {weight}); "
        "the step with the best STS-B dev Spearman is kept. It encodes at the cost of one tower."
    )


def _export_text(variant: str, report: Mapping[str, float]) -> str:
    what = (
        "float32" if variant == "fp32" else "with dynamic int8 quantization of its MatMul weights"
    )
    measured = [f"{key} = {report[key]:.6g}" for key in EXPORT_MEASUREMENTS if key in report]
    checks = (
        " The export's checks measured (PyTorch fp32 against this export; dev: STS-B dev "
        f"Spearman x 100 of fp32 PyTorch and int8 ONNX): {', '.join(measured)}."
        if measured
        else ""
    )
    return f"This folder is the student exported to ONNX, {what}.{checks}"


def _sentences(count: int | None) -> str:
    return "all its sentences" if count is None else f"at most {count} sentences"


def _row_note(spec: Mapping[str, Any], default_bf16: bool) -> str:
    precision = "bfloat16 weights" if spec.get("bf16", default_bf16) else "float32 weights"
    formula = weighted_spec_formula(spec)
    if formula is not None:
        return f"{formula} ({precision})"
    extras = [f"{spec.get('pooling', 'cls')} pooling"]
    if spec.get("coupled"):
        extras.append("towers coupled by cross-attention")
    joined = " + ".join(f"`{model}`" for model in spec["models"])
    return f"{joined} ({', '.join([*extras, precision])})"


def _hidden_size(folder: Path) -> int:
    """The embedding width from ``config.json`` (or an ONNX export's metadata)."""
    for file_name in ("config.json", "export_metadata.json"):
        path = folder / file_name
        if path.is_file():
            return int(json.loads(path.read_text(encoding="utf-8"))["hidden_size"])
    raise FileNotFoundError(f"{folder}: no config.json or export_metadata.json")
