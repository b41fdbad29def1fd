"""From encoder specs to loaded encoders: the one planner of the STS evaluation, the mteb
zero-shot tasks, SentEval's transfer tasks, the ablation and the command line.

An :class:`~jtcse.evaluation.specs.EncoderSpec` names one encoder: its models (summed, or
weighted), each model's pooling, its precision, whether the two towers are coupled, and whether
its rows are scaled to unit length. :func:`load_encoders` loads every (model, bf16) that the
specs name once, with every pooling any spec needs of it; a forward pass of that model gives
all its poolings, and the other poolings and specs read that pass (the last sentences it
encoded are remembered, so even without an :class:`~jtcse.encoding.cache.EmbeddingCache` the
same sentences go through each model once). A summed spec is an
:class:`~jtcse.encoding.pytorch.Encoder` over :class:`PoolingView` members with the spec's
weights: e(x) = sum_i float32(w_i) e_i(x), in member order.

Example:
    >>> from jtcse.evaluation.specs import parse_specs
    >>> specs = parse_specs({"uc": {"models": ["t1", "t2", "ext"], "weights": [0.3, 0.3, 0.7],
    ...     "pooling": ["cls", "cls", "mean"]}})
    >>> vectors = load_encoders(specs)["uc"].encode(["a man plays a guitar ."])
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from jtcse.encoding import (
    BaseEncoder,
    CoupledTwinEncoder,
    Encoder,
    PooledModelEncoder,
    TokenizedEncoder,
    load_member,
)
from jtcse.evaluation.specs import EncoderSpec

if TYPE_CHECKING:
    from jtcse.encoding.cache import EmbeddingCache


# a loaded model: (model, bf16, max_length)
SharedKey = tuple[str, bool, int | None]


class SharedModel:
    """One loaded model with its ``poolings`` (every pooling the specs need of it, in the order
    :meth:`~jtcse.encoding.base.TokenizedEncoder.embed_outputs` gives them) and, when several
    views read it (``remember``), the outputs of the last sentences it encoded, so that the
    other views of the same sentences read them instead of running the model again."""

    def __init__(self, model: TokenizedEncoder, poolings: list[str], remember: bool) -> None:
        self.model = model
        self.poolings = poolings
        self.remember = remember
        self._last: tuple[list[str], int, list[np.ndarray]] | None = None

    def view(self, pooling: str) -> PoolingView:
        """The member that reads this model's ``pooling``."""
        return PoolingView(self, self.poolings.index(pooling))

    def outputs(
        self,
        sentences: list[str],
        batch_size: int,
        show_progress: bool,
        cache: EmbeddingCache | None,
    ) -> list[np.ndarray]:
        """One float32 array per pooling, from the last pass when it encoded these sentences
        at this batch size, else from the cache or a new pass."""
        if self._last is not None and self._last[1] == batch_size and self._last[0] == sentences:
            return self._last[2]
        arrays = self.model.embed_outputs(sentences, batch_size, show_progress, cache)
        if self.remember:
            self._last = (list(sentences), batch_size, arrays)
        return arrays


class PoolingView(BaseEncoder):
    """One pooling (output ``index``) of a :class:`SharedModel`: a member of an ensemble."""

    def __init__(self, shared: SharedModel, index: int) -> None:
        self.shared = shared
        self.index = index

    @property
    def dimension(self) -> int:
        return self.shared.model.dimension

    def embed(
        self,
        sentences: list[str],
        batch_size: int,
        show_progress: bool,
        cache: EmbeddingCache | None,
    ) -> np.ndarray:
        return self.shared.outputs(sentences, batch_size, show_progress, cache)[self.index]

    def cache_identity(self) -> dict[str, Any] | None:
        """What determines this pooling's numbers (folder digest, precision, pooling, ...);
        None for a model that is not a local folder (a Hub id)."""
        identities = self.shared.model.cache_identities()
        return identities[self.index] if identities else None


@dataclass(frozen=True)
class LoadedEncoder:
    """A spec, loaded: its ``encoder``, ``identity`` (what determines its numbers, as JSON
    values: each member's cache identity, or its name when it has none, the poolings,
    weights, precision, normalisation and coupling; the mteb revision is its digest), its
    ``framework`` (``"PyTorch"``, or ``"ONNX"`` with an export among its models) and
    ``max_tokens`` (where its first model truncates)."""

    spec: EncoderSpec
    encoder: BaseEncoder
    identity: dict[str, Any]
    framework: str
    max_tokens: int

    def encode(
        self,
        sentences: Sequence[str],
        batch_size: int = 128,
        show_progress: bool = False,
        cache: EmbeddingCache | None = None,
    ) -> np.ndarray:
        """float32 [len(sentences), dimension], unit-length rows with ``spec.normalize``."""
        return self.encoder.encode(sentences, batch_size, self.spec.normalize, show_progress, cache)


def load_encoders(specs: Mapping[str, EncoderSpec]) -> dict[str, LoadedEncoder]:
    """Load each spec: coupled towers as a
    :class:`~jtcse.encoding.pytorch.CoupledTwinEncoder`, any other spec as an
    :class:`~jtcse.encoding.pytorch.Encoder` over :class:`PoolingView` members with its
    weights; each (model, bf16, max_length) is loaded once, with every pooling that any spec
    needs of it."""
    poolings: dict[SharedKey, list[str]] = {}
    users: Counter[SharedKey] = Counter()
    for summed in [spec for spec in specs.values() if not spec.coupled]:
        for model, pooling in zip(summed.models, summed.poolings(), strict=True):
            key = (model, summed.bf16, summed.max_length)
            wanted = poolings.setdefault(key, [])
            wanted += [] if pooling in wanted else [pooling]
            users[key] += 1
    shared = {
        key: SharedModel(_load(*key, names), names, remember=users[key] > 1)
        for key, names in poolings.items()
    }
    return {
        name: _coupled(spec) if spec.coupled else _summed(spec, shared)
        for name, spec in specs.items()
    }


def _load(model: str, bf16: bool, max_length: int | None, poolings: list[str]) -> TokenizedEncoder:
    """One member model; inputs truncated at ``max_length`` tokens where that is below its
    limit."""
    member = load_member(model, poolings, bf16)
    member.max_length = min(member.max_length, max_length or member.max_length)
    return member


def _summed(spec: EncoderSpec, shared: Mapping[SharedKey, SharedModel]) -> LoadedEncoder:
    views = [
        shared[model, spec.bf16, spec.max_length].view(pooling)
        for model, pooling in zip(spec.models, spec.poolings(), strict=True)
    ]
    encoder = Encoder(views, spec.member_weights(), spec.models)
    members = [
        view.cache_identity() or model for view, model in zip(views, spec.models, strict=True)
    ]
    onnx = not all(isinstance(view.shared.model, PooledModelEncoder) for view in views)
    max_tokens = views[0].shared.model.max_length
    return LoadedEncoder(
        spec, encoder, _identity(spec, members), "ONNX" if onnx else "PyTorch", max_tokens
    )


def _coupled(spec: EncoderSpec) -> LoadedEncoder:
    encoder = CoupledTwinEncoder.load(*spec.models, bf16=spec.bf16)
    members = encoder.cache_identities() or list(spec.models)
    return LoadedEncoder(spec, encoder, _identity(spec, members), "PyTorch", encoder.max_length)


def _identity(spec: EncoderSpec, members: list[Any]) -> dict[str, Any]:
    return {
        "members": members,
        "poolings": spec.poolings(),
        "weights": spec.member_weights(),
        "bf16": spec.bf16,
        "normalize": spec.normalize,
        "coupled": spec.coupled,
    }
