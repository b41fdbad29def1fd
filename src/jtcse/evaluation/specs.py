"""What to evaluate, as the parameters and the command line name it: encoder specs
(``evaluation.encoders``, ``zero_shot.encoders``) and one entry of ``zero_shot.tasks``
(:class:`TaskSpec`; the suites and the whole list: :mod:`jtcse.evaluation.task_suites`).
Imports no torch: the parameters are checked against these before any run starts;
:mod:`jtcse.encoding.plan` loads the encoders they name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jtcse.modeling.pooling import check_pooling, per_model
from jtcse.modeling.precision import resolve_bf16
from jtcse.modeling.uc_ensemble import UcEnsemble
from jtcse.parameters import build_settings

SPEC_KEYS = {"models", "pooling", "coupled", "bf16", "weights", "uc", "normalize", "max_length"}


@dataclass(frozen=True)
class EncoderSpec:
    """One encoder: ``models`` (folders, Hub ids, aliases; several are summed, or weighted by
    ``weights``), their ``pooling`` (one for all, or one per model), ``bf16`` weights, the two
    towers ``coupled`` by cross-attention, ``normalize``: rows scaled to unit length, and
    ``max_length``: inputs truncated at that many tokens (None: each model's limit; 256 is
    what sentence-transformers runs all-MiniLM-L6-v2 with, its ``max_seq_length``).
    ValueError for an encoder that cannot be built."""

    models: tuple[str, ...]
    pooling: str | tuple[str, ...] = "cls"
    bf16: bool = False
    coupled: bool = False
    weights: tuple[float, ...] | None = None
    normalize: bool = False
    max_length: int | None = None

    def __post_init__(self) -> None:
        if not self.models:
            raise ValueError("name at least one model")
        if self.max_length is not None and (
            isinstance(self.max_length, bool)
            or not isinstance(self.max_length, int)
            or self.max_length < 1
        ):
            raise ValueError(f"max_length must be a positive integer; got {self.max_length!r}")
        for pooling in self.poolings():
            check_pooling(pooling)
        if len(self.member_weights()) != len(self.models):
            raise ValueError(
                f"{len(self.member_weights())} weights for {len(self.models)} ensemble members"
            )
        if self.coupled and (
            len(self.models) != 2 or self.pooling != "cls" or self.weights or self.max_length
        ):
            raise ValueError(
                "a coupled encoder needs exactly two tower folders, cls pooling, no weights "
                "and no max_length"
            )

    def poolings(self) -> list[str]:
        """The pooling of each model."""
        return per_model(self.pooling, len(self.models), "pooling")

    def member_weights(self) -> list[float]:
        """The weight of each model (1 each when none are given)."""
        return [1.0] * len(self.models) if self.weights is None else list(self.weights)

    @classmethod
    def from_parameters(
        cls,
        name: str,
        spec: Mapping[str, Any],
        bf16: bool | str,
        model_folders: Mapping[str, str],
        max_length: int | None = None,
    ) -> EncoderSpec:
        """``evaluation.encoders.<name>`` (or ``zero_shot.encoders.<name>``); its ``bf16``
        defaults to ``bf16``, its ``max_length`` to ``max_length``; a model named in
        ``model_folders`` (a catalog dataset such as ``tower_1``) is replaced by its folder.
        A spec with ``uc`` (the :class:`~jtcse.modeling.uc_ensemble.UcEnsemble` fields)
        mixes its ``models`` (the pair, [CLS]) with the external model: weights 1 - w each
        and w."""
        where = f"evaluation.encoders.{name}"
        unknown = set(spec) - SPEC_KEYS
        if unknown or "models" not in spec:
            raise ValueError(
                f"{where}: expected keys 'models' and optional 'pooling', 'weights', 'uc', "
                f"'coupled', 'bf16', 'normalize', 'max_length'; got {sorted(spec)}"
            )
        models, pooling, weights = list(spec["models"]), spec.get("pooling", "cls"), None
        if spec.get("weights") is not None:
            weights = tuple(float(weight) for weight in spec["weights"])
        if spec.get("uc") is not None:
            if "pooling" in spec or "weights" in spec:
                raise ValueError(f"{where}: 'uc' sets the poolings and weights; give neither")
            uc = build_settings(UcEnsemble, spec["uc"], f"{where}.uc")
            models, poolings, uc_weights = uc.members(models)
            pooling, weights = tuple(poolings), tuple(uc_weights)
        precision = resolve_bf16(spec.get("bf16", bf16), f"{where}.bf16")
        try:
            return cls(
                tuple(str(model_folders.get(model, model)) for model in models),
                pooling if isinstance(pooling, str) else tuple(pooling),
                precision,
                bool(spec.get("coupled", False)),
                weights,
                bool(spec.get("normalize", False)),
                spec.get("max_length", max_length),
            )
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None


def parse_specs(
    encoders: Mapping[str, Mapping[str, Any] | EncoderSpec],
    bf16: bool | str = False,
    model_folders: Mapping[str, str] | None = None,
    max_length: int | None = None,
) -> dict[str, EncoderSpec]:
    """Each named spec as :meth:`EncoderSpec.from_parameters` reads it (an
    :class:`EncoderSpec` passes as it is)."""
    return {
        name: spec
        if isinstance(spec, EncoderSpec)
        else EncoderSpec.from_parameters(name, spec, bf16, model_folders or {}, max_length)
        for name, spec in encoders.items()
    }


@dataclass(frozen=True)
class TaskSpec:
    """One entry of ``zero_shot.tasks``: a registered task or benchmark ``name``, the
    ``subsets`` to evaluate (default: all of the local copy or of the task), and whether the
    table reports each subset on its own row (``per_subset``)."""

    name: str
    subsets: tuple[str, ...] | None = None
    per_subset: bool = False

    @classmethod
    def from_parameters(cls, entry: str | Mapping[str, Any], index: int) -> TaskSpec:
        """A task name, or ``{name, subsets, per_subset}``."""
        if isinstance(entry, str):
            return cls(entry)
        unknown = set(entry) - {"name", "subsets", "per_subset"}
        if unknown or "name" not in entry:
            raise ValueError(
                f"zero_shot.tasks[{index}]: expected a task name or keys 'name' and optional "
                f"'subsets', 'per_subset'; got {sorted(entry)}"
            )
        subsets = entry.get("subsets")
        return cls(
            entry["name"], tuple(subsets) if subsets else None, entry.get("per_subset", False)
        )
