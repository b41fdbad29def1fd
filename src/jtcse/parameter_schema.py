"""Which keys each parameter section may hold, read from the settings classes that take them.

:func:`check_keys` walks the parameters along :func:`parameter_schema` and refuses a key that
nothing reads (a misspelt setting, a key under the wrong section, an unknown top-level section)
with its full path and the closest valid name. A schema is a mapping of the keys a section may
hold to the schema of each value (None: any value), :class:`Entries` (a map of free names such
as towers, runs and encoders, each entry checked) or :class:`Items` (a list whose mapping items
are checked). Keys only: the values are checked by the classes that are built from them.

Imports no torch, nor does :func:`parameter_schema`: the facts it reads live in torch-free
modules, so every run's parameter check stays light (and the stages of ``dvc.yaml`` do not all
depend on every module through it).
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jtcse.data.corpus import CorpusFilter
from jtcse.determinism import RuntimeSettings
from jtcse.export.thresholds import ExportThresholds
from jtcse.modeling.uc_ensemble import UcEnsemble
from jtcse.reporting import FIGURES
from jtcse.training.config import TrainingConfig
from jtcse.training.settings import (
    DistillationSettings,
    DistributedSettings,
    JointSettings,
    MlmSettings,
    TowerSettings,
)
from jtcse.translation.settings import PIVOT_KEYS, RoundTripSettings


@dataclass(frozen=True)
class Entries:
    """A map of free names (towers, runs, encoders): any name, each entry checked by ``entry``."""

    entry: Schema


@dataclass(frozen=True)
class Items:
    """A list whose mapping items are checked by ``item`` (other items are not)."""

    item: Schema


Schema = Mapping[str, "Schema"] | Entries | Items | None


def settings_keys(cls: type, **nested: Schema) -> dict[str, Schema]:
    """The fields of the dataclass ``cls``, each value unchecked unless ``nested`` names it."""
    return {field.name: None for field in dataclasses.fields(cls)} | nested


def run_schema(settings: type) -> dict[str, Schema]:
    """One training run of a stage (its shared values, or one entry of ``towers``/``runs``):
    ``training`` (:class:`TrainingConfig`) and ``settings`` (the dataclass ``settings``)."""
    return {"training": settings_keys(TrainingConfig), "settings": settings_keys(settings)}


def parameter_schema() -> dict[str, Schema]:
    """Every top-level section of ``parameters_*.yml`` and the keys under it."""
    # imported here, not at the top: the specs' module imports jtcse.parameters, which
    # imports this one
    from jtcse.evaluation.specs import SPEC_KEYS, TaskSpec
    from jtcse.parameters import SEEDED_STUDIES

    def stage(settings: type, **keys: Schema) -> dict[str, Schema]:
        return run_schema(settings) | {"distributed": settings_keys(DistributedSettings)} | keys

    distillation = stage(
        DistillationSettings,
        student_init=None,
        teacher_bf16=None,
        teacher_uc=settings_keys(UcEnsemble),
    )
    tower_training = stage(
        TowerSettings, base_model=None, towers=Entries(run_schema(TowerSettings))
    )
    jtcse_training = stage(JointSettings, runs=Entries(run_schema(JointSettings)))
    encoders = Entries(dict.fromkeys(SPEC_KEYS) | {"uc": settings_keys(UcEnsemble)})
    return {
        "runtime": _leaves(*vars(RuntimeSettings())),
        "data_preparation": {"corpus": settings_keys(CorpusFilter)},
        "round_trip_translation": settings_keys(
            RoundTripSettings, pivots=Entries(_leaves(*PIVOT_KEYS))
        ),
        "tower_training": tower_training,
        "jtcse_training": jtcse_training,
        "mlm_pretraining": stage(MlmSettings, tokenizer=None),
        "distillation": distillation,
        "uc_distillation": distillation,
        **{
            study: {
                **_leaves("seeds", "references", "zero_shot"),
                "variants": Entries(run_schema(JointSettings)),
                "bootstrap": _leaves("resamples", "seed"),
                "overrides": {
                    "tower_training": tower_training,
                    "jtcse_training": jtcse_training,
                    "distillation": distillation,
                },
            }
            for study in SEEDED_STUDIES
        },
        "evaluation": {**_leaves("bf16", "batch_size"), "encoders": encoders},
        "zero_shot": {
            **_leaves("bf16", "batch_size", "max_length"),
            "tasks": Items(settings_keys(TaskSpec)),
            "encoders": encoders,
            "report": _leaves("champion", "baselines", "decimals", "figure_link"),
        },
        "zero_shot_full": {"tasks": Items(settings_keys(TaskSpec))},
        "onnx_export": {
            "parity_sentences": None,
            "thresholds": settings_keys(ExportThresholds),
        },
        "reporting": {
            "sts_bar_chart": _leaves("encoders"),
            "cls_attention_mass": _leaves("num_sentences", "batch_size", "bf16"),
            "report": {"figure_links": _leaves(*FIGURES)},
        },
        "model_cards": {
            **_leaves("license", "datasets", "data_note", "zero_shot_results"),
            "base_model_notes": Entries(None),
        },
    }


def check_keys(values: Any, schema: Schema, where: str = "") -> None:
    """Raise a ValueError for the first key of ``values`` (at any depth) that ``schema`` does
    not know, or for a value that should be a mapping and is not; ``where`` is the path of
    ``values`` ("" for all the parameters)."""
    if schema is None or values is None:
        return
    if isinstance(schema, Items):
        for index, item in enumerate(values if isinstance(values, list) else []):
            if isinstance(item, Mapping):
                check_keys(item, schema.item, f"{where}[{index}]")
        return
    for key, value in section(values, where).items():
        path = f"{where}.{key}" if where else str(key)
        if isinstance(schema, Entries):
            check_keys(value, schema.entry, path)
        elif key in schema:
            check_keys(value, schema[key], path)
        else:
            deeper = [
                f"{name}.{inner}"
                for name, below in schema.items()
                if isinstance(below, Mapping)
                for inner in below
            ]
            raise unknown_key(path, schema, deeper)


def unknown_key(path: str, valid: Iterable[str], deeper: Iterable[str] = ()) -> ValueError:
    """The error for the unknown key at ``path`` (``section.key``): the closest of the
    ``valid`` names and of the ``deeper`` ones (keys one level down, ``settings.dropout``:
    a key put one level too high) by difflib, or all the valid names when none is close."""
    valid = sorted(valid)
    close = difflib.get_close_matches(path.rpartition(".")[2], [*valid, *deeper], n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"expected one of {valid}"
    return ValueError(f"{path}: unknown key; {hint}")


def section(value: Any, where: str) -> Mapping[str, Any]:
    """``value`` as a mapping of parameters (None counts as empty); ValueError otherwise."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: expected a mapping of parameters, got {value!r}")
    return value


def _leaves(*keys: str) -> dict[str, Schema]:
    """Keys whose values are not checked here."""
    return dict.fromkeys(keys)
