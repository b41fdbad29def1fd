"""What to evaluate, as the parameters and the command line name it: encoder specs
(``evaluation.encoders``, ``zero_shot.encoders``) and zero-shot task specs
(``zero_shot.tasks``). Imports no torch: the parameters are checked against these before any
run starts; :mod:`jtcse.encoding.plan` loads the encoders they name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jtcse.modeling.pooling import check_pooling, per_model
from jtcse.modeling.precision import resolve_bf16
from jtcse.modeling.uc_ensemble import UcEnsemble
from jtcse.parameters import build_settings

SPEC_KEYS = {"models", "pooling", "coupled", "bf16", "weights", "uc", "normalize"}


@dataclass(frozen=True)
class EncoderSpec:
    """One encoder: ``models`` (folders, Hub ids, aliases; several are summed, or weighted by
    ``weights``), their ``pooling`` (one for all, or one per model), ``bf16`` weights, the two
    towers ``coupled`` by cross-attention, and ``normalize``: rows scaled to unit length.
    ValueError for an encoder that cannot be built."""

    models: tuple[str, ...]
    pooling: str | tuple[str, ...] = "cls"
    bf16: bool = False
    coupled: bool = False
    weights: tuple[float, ...] | None = None
    normalize: bool = False

    def __post_init__(self) -> None:
        if not self.models:
            raise ValueError("name at least one model")
        for pooling in self.poolings():
            check_pooling(pooling)
        if len(self.member_weights()) != len(self.models):
            raise ValueError(
                f"{len(self.member_weights())} weights for {len(self.models)} ensemble members"
            )
        if self.coupled and (len(self.models) != 2 or self.pooling != "cls" or self.weights):
            raise ValueError(
                "a coupled encoder needs exactly two tower folders, cls pooling and no weights"
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
    ) -> EncoderSpec:
        """``evaluation.encoders.<name>`` (or ``zero_shot.encoders.<name>``); its ``bf16``
        defaults to ``bf16``; a model named in ``model_folders`` (a catalog dataset such as
        ``tower_1``) is replaced by its folder. A spec with ``uc`` (the
        :class:`~jtcse.modeling.uc_ensemble.UcEnsemble` fields) mixes its ``models`` (the
        pair, [CLS]) with the external model: weights 1 - w each and w."""
        where = f"evaluation.encoders.{name}"
        unknown = set(spec) - SPEC_KEYS
        if unknown or "models" not in spec:
            raise ValueError(
                f"{where}: expected keys 'models' and optional 'pooling', 'weights', 'uc', "
                f"'coupled', 'bf16', 'normalize'; got {sorted(spec)}"
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
            )
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None


def parse_specs(
    encoders: Mapping[str, Mapping[str, Any] | EncoderSpec],
    bf16: bool | str = False,
    model_folders: Mapping[str, str] | None = None,
) -> dict[str, EncoderSpec]:
    """Each named spec as :meth:`EncoderSpec.from_parameters` reads it (an
    :class:`EncoderSpec` passes as it is)."""
    return {
        name: spec
        if isinstance(spec, EncoderSpec)
        else EncoderSpec.from_parameters(name, spec, bf16, model_folders or {})
        for name, spec in encoders.items()
    }


# Named task lists: an entry of ``zero_shot.tasks`` (or of ``jtcse zero-shot --tasks``) that
# names a suite stands for its tasks. ``local``: every task with a local copy under the data
# root (jtcse.data.mteb_layout), the default of the pipeline and of the CLI.
DEFAULT_SUITE = "local"
TASK_SUITES: dict[str, tuple[str | dict[str, Any], ...]] = {}
TASK_SUITES[DEFAULT_SUITE] = (
    "Banking77Classification",
    # the leaderboard's English subset is en
    {"name": "AmazonCounterfactualClassification", "subsets": ["en", "en-ext"], "per_subset": True},
    "EmotionClassification",
    "TweetSentimentExtractionClassification",
    {"name": "STS17", "subsets": ["en-en"]},
    "BIOSSES",
    "STS12",
    "STS13",
    "STS14",
    "STS15",
    "STS16",
    "STSBenchmark",
    "SICK-R",
    "Tatoeba",  # 112 xxx-eng pairs, mean F1
)


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


def parse_tasks(entries: str | Sequence[str | Mapping[str, Any]]) -> list[TaskSpec]:
    """``zero_shot.tasks`` as :class:`TaskSpec`: a non-empty list of tasks, in which (or
    instead of which) the name of a suite of :data:`TASK_SUITES` stands for its tasks."""
    listed = [entries] if isinstance(entries, str) else list(entries)
    if not listed:
        raise ValueError("zero_shot.tasks: name at least one task")
    expanded = [
        task
        for entry in listed
        for task in (TASK_SUITES.get(entry, (entry,)) if isinstance(entry, str) else (entry,))
    ]
    return [TaskSpec.from_parameters(entry, index) for index, entry in enumerate(expanded)]
