"""PyTorch encoders: one model or the sum of several (an ensemble), and the coupled twin.

An :class:`Encoder` wraps one model folder (or Hub id), or several whose embeddings are summed:
the twin-tower ensemble e(x) = h1(x) + h2(x) of JTCSE, each tower encoding alone (the published
protocol). :class:`CoupledTwinEncoder` runs the two towers together with the cross-attention of
joint training, e(x) = h1_CLS + h2_CLS (docs/method.md#inference).

Example:
    >>> encoder = Encoder.load(["data/06_models/tower_1", "data/06_models/tower_2"])
    >>> vectors = encoder.encode(["a man plays a guitar .", "a woman slices an onion ."])
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from transformers import AutoTokenizer, PreTrainedTokenizerBase

from jtcse.encoding.base import BaseEncoder, TokenizedEncoder, max_tokens
from jtcse.modeling import lean_bert
from jtcse.modeling.compiling import (
    ENCODE_BREAK_EVEN_SENTENCES,
    compile_for_inference,
    compile_setting,
    should_compile,
)
from jtcse.modeling.device import default_device
from jtcse.modeling.folders import remembered_folder_digest
from jtcse.modeling.names import local_folder, resolve_model_path
from jtcse.modeling.pooling import check_pooling, per_model, pool
from jtcse.modeling.precision import attention_implementation, resolve_bf16

if TYPE_CHECKING:
    from transformers import PreTrainedModel

    from jtcse.encoding.cache import EmbeddingCache
    from jtcse.modeling.twin_tower import TwinTowerModel


def _dtype(bf16: bool | str) -> torch.dtype:
    """bfloat16 or float32 for a ``bf16`` setting: true, false or auto
    (:func:`~jtcse.modeling.precision.resolve_bf16`)."""
    return torch.bfloat16 if resolve_bf16(bf16) else torch.float32


class ModuleEncoder(TokenizedEncoder):
    """A :class:`TokenizedEncoder` whose forward pass is one torch module, ``model``, compiled
    before the first job that asks for it: ``compile`` is ``auto``, ``on`` or ``off`` (None:
    ``$JTCSE_COMPILE``; :mod:`jtcse.modeling.compiling`), ``auto`` compiling a job of at least
    :data:`~jtcse.modeling.compiling.ENCODE_BREAK_EVEN_SENTENCES` sentences to encode. The
    compiled forward gives the eager one's vectors to rounding
    (``benchmarks/compile_break_even.py`` records the STS-7 difference), so the embedding
    cache keys both alike."""

    def __init__(
        self,
        model: torch.nn.Module,
        tokenizer: PreTrainedTokenizerBase,
        max_length: int,
        compile: str | None = None,
    ) -> None:
        super().__init__(tokenizer, max_length)
        self.model = model
        self.compile = compile_setting(compile)
        self.compiled: torch.nn.Module | None = None

    @property
    def network(self) -> torch.nn.Module:
        """What runs the forward pass: the compiled model once compiled, else the model."""
        return self.model if self.compiled is None else self.compiled

    def prepare(self, sentences: int) -> None:
        """Compile the model when a job of ``sentences`` asks for it (class docstring)."""
        if self.compiled is None and should_compile(
            self.compile, sentences, ENCODE_BREAK_EVEN_SENTENCES
        ):
            self.compiled = compile_for_inference(self.model)


class PooledModelEncoder(ModuleEncoder):
    """One encoder model and one or several poolings of its outputs (``cls``, ``mean``, ...:
    see :mod:`jtcse.modeling.pooling`), pooled in float32 whatever the model's precision;
    several poolings come from one forward pass (:meth:`embed_outputs`, in ``poolings``
    order). The model is a transformers ``PreTrainedModel`` or a
    :class:`~jtcse.modeling.lean_bert.LeanBert`. ``source``, the local folder the model was
    loaded from, makes it cacheable. Inputs are truncated at ``max_length`` tokens (None: the
    most the model holds); ``compile``: see :class:`ModuleEncoder`.
    """

    def __init__(
        self,
        model: PreTrainedModel | lean_bert.LeanBert,
        tokenizer: PreTrainedTokenizerBase,
        poolings: str | Sequence[str],
        source: Path | None = None,
        max_length: int | None = None,
        compile: str | None = None,
    ) -> None:
        limit = max_tokens(model.config.max_position_embeddings, tokenizer)
        limit = limit if max_length is None else min(max_length, limit)
        super().__init__(model, tokenizer, limit, compile)
        names = [poolings] if isinstance(poolings, str) else list(poolings)
        self.poolings = tuple(check_pooling(name) for name in names)
        self.outputs = len(self.poolings)
        self.source = source

    @property
    def dimension(self) -> int:
        return int(self.model.config.hidden_size)

    def cache_identities(self) -> list[dict[str, Any]] | None:
        if self.source is None:
            return None
        model = {
            "model": remembered_folder_digest(self.source),
            "dtype": str(self.model.dtype),
            **_forward_identity(self.model),
            "max_length": self.max_length,
        }
        return [{**model, "pooling": pooling} for pooling in self.poolings]

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        outputs = self.network(**{k: v.to(self.model.device) for k, v in batch.items()})
        pooler_output = getattr(outputs, "pooler_output", None)
        hidden = outputs.last_hidden_state.float()
        pooled = None if pooler_output is None else pooler_output.float()
        mask = batch["attention_mask"]
        return torch.cat([pool(hidden, mask, name, pooled) for name in self.poolings], dim=1)


def _forward_identity(model: PreTrainedModel | lean_bert.LeanBert) -> dict[str, str]:
    """What names the forward pass in a cache identity: the attention implementation, and
    ``forward: lean_bert`` for :class:`~jtcse.modeling.lean_bert.LeanBert`."""
    if isinstance(model, lean_bert.LeanBert):
        return {"forward": "lean_bert", "attention": model.attention}
    return {"attention": model.config._attn_implementation}


def load_pooled_model(
    name: str | Path,
    poolings: str | Sequence[str] = "cls",
    bf16: bool | str = False,
    max_length: int | None = None,
    compile: str | None = None,
) -> PooledModelEncoder:
    """Load a model folder, Hub id or alias for encoding, on the default device, in eval mode;
    inputs truncated at ``max_length`` tokens (None: the model's limit); ``compile``: see
    :class:`PooledModelEncoder`.

    A local plain-BERT folder (:func:`jtcse.modeling.lean_bert.supported`) runs as
    :class:`~jtcse.modeling.lean_bert.LeanBert`, which gives transformers' outputs to rounding
    without importing transformers' model code; anything else loads with transformers.

    With ``bf16`` (true, false or auto: :func:`~jtcse.modeling.precision.resolve_bf16`) the
    weights are bfloat16 (about 3x faster than fp32 on CPUs with native bfloat16, tens of
    times slower where it is emulated); the attention kernel is
    :func:`~jtcse.modeling.precision.attention_implementation`'s.
    """
    bf16 = resolve_bf16(bf16)
    attention = attention_implementation(bf16)
    folder = local_folder(name)
    if folder is not None and lean_bert.supported(folder):
        model = lean_bert.LeanBert.load(folder, _dtype(bf16), attention)
        model, tokenizer = model.to(default_device()), AutoTokenizer.from_pretrained(folder)
    else:
        from jtcse.modeling.loading import load_model_and_tokenizer

        model, tokenizer = load_model_and_tokenizer(name, attn_implementation=attention)
        model = model.eval().to(_dtype(bf16))
    return PooledModelEncoder(model, tokenizer, poolings, folder, max_length, compile)


class Encoder(BaseEncoder):
    """Sentence encoder over one model or a weighted sum of several (an ensemble):
    e(x) = sum_i w_i e_i(x), every w_i = 1 unless ``weights`` are given (the UC ensemble,
    :class:`~jtcse.modeling.uc_ensemble.UcEnsemble`, weighs the pair 1 - w and the external
    model w).

    With ``bf16`` the models' weights are cast to bfloat16 (about 3x faster than fp32 on CPUs
    with native bfloat16; ``benchmarks/eval_speed.py`` measures the speed and the STS
    difference); pooling and the returned vectors are float32. The models are put in eval
    mode. Members may have their own tokenizers, poolings (and backends: any
    :class:`~jtcse.encoding.base.BaseEncoder`) but must share the embedding width;
    ``names`` (one per member) name them in that error.
    """

    def __init__(
        self,
        members: Sequence[BaseEncoder],
        weights: Sequence[float] | None = None,
        names: Sequence[str] | None = None,
    ) -> None:
        if not members:
            raise ValueError("an Encoder needs at least one model")
        self.members = list(members)
        self.weights = [1.0] * len(self.members) if weights is None else list(map(float, weights))
        names = [f"member {index}" for index in range(len(members))] if names is None else names
        for what, values in (("weights", self.weights), ("names", names)):
            if len(values) != len(self.members):
                raise ValueError(f"{len(values)} {what} for {len(self.members)} ensemble members")
        if len({member.dimension for member in self.members}) > 1:
            widths = ", ".join(
                f"{name}: {member.dimension}"
                for name, member in zip(names, self.members, strict=True)
            )
            raise ValueError(f"ensemble members must share the embedding width; got {widths}")

    @classmethod
    def from_models(
        cls,
        models: Sequence[tuple[PreTrainedModel, PreTrainedTokenizerBase]],
        pooling: str = "cls",
        bf16: bool | str = False,
    ) -> Encoder:
        """Models already in memory (not cacheable: no folder is known), e.g. during
        training; each is put in eval mode and cast to bfloat16 with ``bf16``."""
        return cls(
            [
                PooledModelEncoder(model.eval().to(_dtype(bf16)), tokenizer, pooling)
                for model, tokenizer in models
            ]
        )

    @classmethod
    def load(
        cls,
        paths: str | Path | Sequence[str | Path],
        pooling: str | Sequence[str] = "cls",
        bf16: bool | str = False,
        weights: Sequence[float] | None = None,
        max_length: int | None = None,
        compile: str | None = None,
    ) -> Encoder:
        """Load a model folder, Hub id or alias, or a list of them (embeddings summed, or
        weighted by ``weights``); ``pooling`` is one for all or one per model; inputs
        truncated at ``max_length`` tokens (None: each model's limit); ``compile``: see
        :class:`PooledModelEncoder`."""
        names = [paths] if isinstance(paths, str | Path) else list(paths)
        poolings = per_model(pooling, len(names), "pooling")
        members = [
            load_pooled_model(name, name_pooling, bf16, max_length, compile)
            for name, name_pooling in zip(names, poolings, strict=True)
        ]
        return cls(members, weights, [str(name) for name in names])

    @property
    def dimension(self) -> int:
        return self.members[0].dimension

    def prepare(self, sentences: int) -> None:
        for member in self.members:
            member.prepare(sentences)

    def embed(
        self,
        sentences: list[str],
        batch_size: int,
        show_progress: bool,
        cache: EmbeddingCache | None,
    ) -> np.ndarray:
        """The weighted sum over members of each member's rows (each with its own tokenizer;
        each member cached on its own, so an ensemble reuses what its members encoded alone)."""
        total = np.zeros((len(sentences), self.dimension), dtype=np.float32)
        for weight, member in zip(self.weights, self.members, strict=True):
            total += np.float32(weight) * member.embed(sentences, batch_size, show_progress, cache)
        return total


class CoupledTwinEncoder(ModuleEncoder):
    """The joint twin-tower model at inference, cross-attention on: e(x) = h1_CLS + h2_CLS.

    The published protocol encodes with each tower alone (an :class:`Encoder` over both
    folders); this coupled mode is reported beside it (docs/method.md#inference).
    ``compile``: see :class:`ModuleEncoder`.
    """

    def __init__(
        self,
        model: TwinTowerModel,
        tokenizer: PreTrainedTokenizerBase,
        bf16: bool | str = False,
        sources: tuple[Path | None, Path | None] = (None, None),
        compile: str | None = None,
    ) -> None:
        positions = model.tower_1.config.max_position_embeddings
        limit = max_tokens(positions, tokenizer)
        super().__init__(model.eval().to(_dtype(bf16)), tokenizer, limit, compile)
        self.sources = sources

    @classmethod
    def load(
        cls,
        tower_1: str | Path,
        tower_2: str | Path,
        num_cross_attention_layers: int | None = None,
        coupling: str | None = None,
        bf16: bool | str = False,
        compile: str | None = None,
    ) -> CoupledTwinEncoder:
        """Couple two tower folders (they must share the tokenizer) as in joint training.

        ``num_cross_attention_layers`` and ``coupling`` default to what joint training
        recorded (:class:`~jtcse.modeling.twin_tower_config.TwinTowerConfig`).
        """
        from jtcse.modeling.twin_tower import TwinTowerModel

        tower_1, tower_2 = resolve_model_path(tower_1), resolve_model_path(tower_2)
        model = TwinTowerModel.from_towers(tower_1, tower_2, num_cross_attention_layers, coupling)
        tokenizer = AutoTokenizer.from_pretrained(tower_1)
        sources = (local_folder(tower_1), local_folder(tower_2))
        return cls(model.to(default_device()), tokenizer, bf16, sources, compile)

    @property
    def dimension(self) -> int:
        return int(self.model.tower_1.config.hidden_size)

    def cache_identities(self) -> list[dict[str, Any]] | None:
        if None in self.sources:
            return None
        layers = self.model.tower_1.config.num_hidden_layers
        return [
            {
                "coupled_towers": [remembered_folder_digest(source) for source in self.sources],
                "coupling": self.model.config.to_record(layers),
                "dtype": str(self.model.tower_1.dtype),
                "attention": self.model.tower_1.config._attn_implementation,
                "max_length": self.max_length,
            }
        ]

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        device = self.model.tower_1.device
        output = self.network(batch["input_ids"].to(device), batch["attention_mask"].to(device))
        return output.cls_1.float() + output.cls_2.float()
