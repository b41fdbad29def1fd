"""Parameters -> settings: the settings of each training stage built from its parameters
(``parameters_<stage>.yml``) by :func:`build_settings`, and :func:`validate_parameters`, which
checks all of them before a run trains anything. Imports no torch, and neither does
:func:`validate_parameters`.

Every error is a ``ValueError`` that starts with the parameter's path, for example
``jtcse_training.runs.jtcse.settings.num_cross_attention_layers: ...``.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from jtcse.field_checks import check_bf16_setting
from jtcse.modeling.layers import cross_attention_layer_indices
from jtcse.modeling.names import names_local_folder, resolve_model_path
from jtcse.modeling.uc_ensemble import UcEnsemble
from jtcse.parameter_schema import check_keys, parameter_schema, run_schema, section, unknown_key
from jtcse.training.config import TrainingConfig
from jtcse.training.settings import (
    DistillationSettings,
    DistributedSettings,
    JointSettings,
    MlmSettings,
    TowerSettings,
)
from jtcse.translation.settings import RoundTripSettings

_REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    "tower_training": ("base_model", "training", "towers"),
    "jtcse_training": ("training", "runs"),
    "distillation": ("student_init", "training"),
    "uc_distillation": ("student_init", "training", "teacher_uc"),
    "mlm_pretraining": ("tokenizer", "training"),
}


T = TypeVar("T")


def build_settings(cls: type[T], values: Mapping[str, Any] | None, where: str) -> T:
    """``cls(**values)`` for a dataclass ``cls``; unknown keys, wrong types (None included,
    unless the annotation allows it) and values the dataclass refuses raise a ValueError that
    starts with the parameter path ``where``."""
    values = dict(values or {})
    fields = {field.name: field for field in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise unknown_key(f"{where}.{unknown[0]}", fields)
    for name, value in values.items():
        expected, optional = _expected_types(fields[name].type)
        wrong_bool = isinstance(value, bool) and bool not in expected
        wrong_none = value is None and not optional
        wrong_type = value is not None and (wrong_bool or not isinstance(value, expected))
        if expected and (wrong_none or wrong_type):
            raise ValueError(
                f"{where}.{name}: expected {fields[name].type}, got {type(value).__name__} "
                f"{value!r}"
            )
    try:
        return cls(**values)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where}: {error}") from None


def tower_run_settings(
    stage_params: Mapping[str, Any], tower_name: str
) -> tuple[TrainingConfig, TowerSettings]:
    """``tower_training``'s shared ``training``/``settings`` overridden by
    ``towers.<tower_name>.training``/``.settings``."""
    return _run_settings(stage_params, "tower_training", "towers", tower_name, TowerSettings)


def joint_run_settings(
    stage_params: Mapping[str, Any], run_name: str
) -> tuple[TrainingConfig, JointSettings]:
    """``jtcse_training``'s shared ``training``/``settings`` overridden by
    ``runs.<run_name>.training``/``.settings``."""
    return _run_settings(stage_params, "jtcse_training", "runs", run_name, JointSettings)


def distillation_run_settings(
    stage_params: Mapping[str, Any],
) -> tuple[TrainingConfig, DistillationSettings]:
    """``distillation.training`` and ``distillation.settings``."""
    config = build_settings(
        TrainingConfig,
        section(stage_params.get("training"), "distillation.training"),
        "distillation.training",
    )
    settings = build_settings(
        DistillationSettings, stage_params.get("settings"), "distillation.settings"
    )
    return config, settings


def mlm_settings(stage_params: Mapping[str, Any]) -> tuple[TrainingConfig, MlmSettings]:
    """``mlm_pretraining.training`` and ``mlm_pretraining.settings``."""
    config = build_settings(
        TrainingConfig,
        section(stage_params.get("training"), "mlm_pretraining.training"),
        "mlm_pretraining.training",
    )
    settings = build_settings(MlmSettings, stage_params.get("settings"), "mlm_pretraining.settings")
    return config, settings


def distributed_settings(stage_params: Mapping[str, Any], stage: str) -> DistributedSettings:
    """``<stage>.distributed``: how many processes share each batch (default: one)."""
    return build_settings(
        DistributedSettings, stage_params.get("distributed"), f"{stage}.distributed"
    )


def teacher_bf16(stage_params: Mapping[str, Any]) -> bool | str:
    """``distillation.teacher_bf16``: whether the teacher ensemble encodes in bfloat16
    (true, false or auto: :func:`jtcse.modeling.precision.resolve_bf16`)."""
    return check_bf16_setting(stage_params.get("teacher_bf16", False), "distillation.teacher_bf16")


def round_trip_settings(stage_params: Mapping[str, Any] | None) -> RoundTripSettings:
    """``round_trip_translation`` without its ``pivots`` (absent: off)."""
    values = {
        key: value
        for key, value in section(stage_params, "round_trip_translation").items()
        if key != "pivots"
    }
    return build_settings(RoundTripSettings, values, "round_trip_translation")


def uc_teacher(stage_params: Mapping[str, Any], stage: str = "distillation") -> UcEnsemble | None:
    """``<stage>.teacher_uc``: the UC ensemble that replaces the JTCSE pair as teacher (UC-D),
    or None (absent or null: the pair alone)."""
    values = stage_params.get("teacher_uc")
    if values is None:
        return None
    return build_settings(UcEnsemble, section(values, f"{stage}.teacher_uc"), f"{stage}.teacher_uc")


def validate_parameters(
    parameters: Mapping[str, Any], model_depth: Callable[[str], int] | None = None
) -> None:
    """Check every training stage's parameters; raise a ValueError naming the first bad one.

    Checks: unknown keys in every section (:mod:`jtcse.parameter_schema`), missing keys, types
    and ranges (the settings classes' own checks), and that each joint run's
    ``num_cross_attention_layers`` divides the depth of the towers (the number of layers of
    ``tower_training.base_model``). ``model_depth(name) -> int``
    reads that depth; the default loads the model's configuration only.
    """
    check_keys(parameters, parameter_schema())
    for stage, required in _REQUIRED_KEYS.items():
        if stage in parameters:
            missing = [key for key in required if key not in section(parameters[stage], stage)]
            if missing:
                raise ValueError(f"{stage}: missing key(s) {missing}")
            distributed_settings(parameters[stage], stage)
    towers = parameters.get("tower_training")
    if towers is not None:
        for name in section(towers.get("towers"), "tower_training.towers"):
            tower_run_settings(towers, name)
    joint = parameters.get("jtcse_training")
    if joint is not None:
        runs = {
            name: joint_run_settings(joint, name)[1]
            for name in section(joint.get("runs"), "jtcse_training.runs")
        }
        if towers is not None:
            depth = (model_depth or _num_hidden_layers)(towers["base_model"])
            for name, settings in runs.items():
                try:
                    cross_attention_layer_indices(depth, settings.num_cross_attention_layers)
                except ValueError as error:
                    raise ValueError(
                        f"jtcse_training.runs.{name}.settings.num_cross_attention_layers: "
                        f"{error} (the towers of {towers['base_model']!r} have {depth} layers)"
                    ) from None
    round_trip = round_trip_settings(parameters.get("round_trip_translation"))
    if towers is not None and not round_trip.enabled:
        for name in section(towers.get("towers"), "tower_training.towers"):
            if tower_run_settings(towers, name)[1].augmentation == "round_trip":
                raise ValueError(
                    f"tower_training.towers.{name}.settings.augmentation: round_trip needs "
                    "round_trip_translation.enabled: true"
                )
    for stage in ("distillation", "uc_distillation"):
        if parameters.get(stage) is not None:
            distillation_run_settings(parameters[stage])
            teacher_bf16(parameters[stage])
            uc_teacher(parameters[stage], stage)
    if parameters.get("mlm_pretraining") is not None:
        mlm_settings(parameters["mlm_pretraining"])
    for study in SEEDED_STUDIES:
        if parameters.get(study) is not None and joint is not None:
            _check_study(study, section(parameters[study], study), parameters)


# The seeded studies (parameter key = pipeline name) -> the catalog folder their towers and
# student start from (None: tower_training.base_model and distillation.student_init).
SEEDED_STUDIES: dict[str, str | None] = {"ablation": None, "mlm_regime": "mlm_base"}
# The rows of every seed of a seeded study besides its joint variants (its pipeline builds
# them; <study>.references may name them): the base model alone (row -> pooling), the towers
# and their plain sum, and JTCSE-D.
BASE_ROWS = {"base_cls": "cls", "base_mean": "mean"}
ABLATION_TOWER_ROWS = ("tower_1", "tower_2", "towers_ensemble")
ABLATION_STUDENT_ROW = "jtcse_d"  # JTCSE-D, distilled from the variant ``jtcse``
STUDY_STAGES = ("tower_training", "jtcse_training", "distillation")  # keys of <study>.overrides


def study_stage(
    stage_params: Mapping[str, Any], study_params: Mapping[str, Any], stage: str
) -> dict[str, Any]:
    """A copy of ``stage``'s parameters with ``<study>.overrides.<stage>`` merged in (nested
    mappings key by key, any other value replaced)."""
    overrides = (study_params.get("overrides") or {}).get(stage) or {}
    return _merged(copy.deepcopy(dict(stage_params)), overrides)


def _merged(values: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in overrides.items():
        if isinstance(value, Mapping) and isinstance(values.get(key), Mapping):
            values[key] = _merged(dict(values[key]), value)
        else:
            values[key] = copy.deepcopy(value)
    return values


def _check_study(study: str, values: Mapping[str, Any], parameters: Mapping[str, Any]) -> None:
    """A seeded study's parameters: positive integer seeds, each variant a valid joint run of
    the stage parameters with the study's overrides, the overridden tower and distillation
    runs valid, references that name rows of the study."""
    seeds = values.get("seeds")
    if not seeds or not all(isinstance(seed, int) and seed >= 1 for seed in seeds):
        raise ValueError(f"{study}.seeds: expected a list of integers >= 1; got {seeds!r}")
    joint = study_stage(parameters["jtcse_training"], values, "jtcse_training")
    variants = section(values.get("variants"), f"{study}.variants")
    for name in variants:
        try:
            joint_run_settings({**joint, "runs": variants}, name)
        except ValueError as error:
            raise ValueError(
                str(error).replace("jtcse_training.runs.", f"{study}.variants.")
            ) from None
    try:
        if "tower_training" in parameters:
            towers = study_stage(parameters["tower_training"], values, "tower_training")
            for name in section(towers.get("towers"), "tower_training.towers"):
                tower_run_settings(towers, name)
        if "distillation" in parameters:
            distillation_run_settings(
                study_stage(parameters["distillation"], values, "distillation")
            )
    except ValueError as error:
        raise ValueError(f"{study}.overrides: {error}") from None
    rows = {*BASE_ROWS, *ABLATION_TOWER_ROWS, ABLATION_STUDENT_ROW, *variants}
    unknown = [name for name in values.get("references", []) if name not in rows]
    if unknown:
        raise ValueError(f"{study}.references: {unknown} are not rows of the study {sorted(rows)}")


def _run_settings(
    stage_params: Mapping[str, Any],
    stage: str,
    entries: str,
    name: str,
    settings_class: type,
) -> tuple[TrainingConfig, Any]:
    """The stage's shared ``training``/``settings`` overridden by those of
    ``<stage>.<entries>.<name>``."""
    where = f"{stage}.{entries}.{name}"
    overrides = _entry(stage_params.get(entries), f"{stage}.{entries}", name)
    check_keys(overrides, run_schema(settings_class), where)
    config = build_settings(
        TrainingConfig,
        {
            **section(stage_params.get("training"), f"{stage}.training"),
            **section(overrides.get("training"), f"{where}.training"),
        },
        f"{where}.training",
    )
    settings = build_settings(
        settings_class,
        {
            **section(stage_params.get("settings"), f"{stage}.settings"),
            **section(overrides.get("settings"), f"{where}.settings"),
        },
        f"{where}.settings",
    )
    return config, settings


def _entry(entries: Any, where: str, name: str) -> Mapping[str, Any]:
    """The mapping ``entries[name]``, which must exist."""
    entries = section(entries, where)
    if name not in entries:
        raise ValueError(f"{where}: no entry {name!r}; there are {sorted(entries)}")
    return section(entries[name], f"{where}.{name}")


def _num_hidden_layers(model: str) -> int:
    """The depth of ``model``: read from a local folder's ``config.json`` (no torch import),
    or through ``AutoConfig`` for a Hub id."""
    path = resolve_model_path(model)
    if names_local_folder(path) and (Path(path) / "config.json").is_file():
        return int(json.loads((Path(path) / "config.json").read_text())["num_hidden_layers"])
    from transformers import AutoConfig

    try:
        return int(AutoConfig.from_pretrained(path).num_hidden_layers)
    except OSError as error:  # not on the Hub, or the Hub not reachable / offline
        raise ValueError(
            f"tower_training.base_model: cannot read the configuration of {model!r}: it is not "
            f"a local folder and the Hugging Face Hub gave no answer ({type(error).__name__}); "
            "on a machine with the Hub, unset HF_HUB_OFFLINE, or download the model "
            "(`hf download <id> --local-dir DIR`) and give DIR"
        ) from None


_SIMPLE_TYPES: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "str": (str,),
}


def _expected_types(annotation: object) -> tuple[tuple[type, ...], bool]:
    """Python types allowed by a simple annotation string such as ``"int | None"``, and
    whether None is allowed; ``((), True)`` (nothing checked) for any other annotation."""
    allowed: tuple[type, ...] = ()
    optional = False
    for part in str(annotation).replace(" ", "").split("|"):
        if part == "None":
            optional = True
            continue
        if part not in _SIMPLE_TYPES:
            return (), True
        allowed += _SIMPLE_TYPES[part]
    return allowed, optional
