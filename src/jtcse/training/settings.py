"""The settings of each training stage (what the ``settings`` and ``distributed`` sections of
``parameters_<stage>.yml`` hold), checked when built. Imports no torch, so that parameters are
validated before any node (or any heavy import) runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from jtcse.field_checks import (
    require_choice,
    require_fraction,
    require_integer,
    require_real,
)
from jtcse.modeling.twin_tower_config import COUPLINGS

AUGMENTATIONS = ("word_deletion", "word_repetition", "round_trip")
SELECTIONS = ("decoupled", "coupled")


@dataclass(frozen=True)
class TowerSettings:
    """What makes one tower differ from the other (stage 1, :mod:`jtcse.training.towers`).

    Attributes:
        dropout: hidden and attention-probability dropout of the tower (BERT default 0.1).
        corpus_shard: train on sentences ``corpus[shard::num_shards]`` (None: the whole corpus).
        num_shards: number of disjoint corpus shards.
        max_sentences: then keep the first this many sentences of the shard (None: all).
        augmentation: ``word_deletion``, ``word_repetition``, ``round_trip`` (the tower's
            round-trip file, :mod:`jtcse.translation`) or None (dropout views only).
        augmentation_probability: per-word probability of the augmentation.
        max_length: truncation length in tokens.
        temperature: InfoNCE temperature tau.
        length_chunks: run each batch in this many length-sorted chunks (same result, less
            padding; see :mod:`jtcse.modeling.chunking`).
    """

    dropout: float = 0.1
    corpus_shard: int | None = None
    num_shards: int = 2
    max_sentences: int | None = None
    augmentation: str | None = None
    augmentation_probability: float = 0.1
    max_length: int = 64
    temperature: float = 0.05
    length_chunks: int = 4

    def __post_init__(self) -> None:
        _require_common(self.dropout, self.max_sentences, self.max_length, self.length_chunks)
        require_real("temperature", self.temperature, strict=True)
        if self.corpus_shard is not None and not 0 <= self.corpus_shard < self.num_shards:
            raise ValueError(
                f"corpus_shard must be in [0, num_shards={self.num_shards}); "
                f"got {self.corpus_shard}"
            )
        require_choice("augmentation", self.augmentation, (*AUGMENTATIONS, None))
        if self.augmentation is not None:
            require_fraction("augmentation_probability", self.augmentation_probability)

    def select(self, sentences: Sequence[str]) -> list[str]:
        """The tower's part of the corpus: its shard, capped at ``max_sentences``."""
        shard = (
            sentences
            if self.corpus_shard is None
            else sentences[self.corpus_shard :: self.num_shards]
        )
        return list(shard[: self.max_sentences])


@dataclass(frozen=True)
class JointSettings:
    """The coupling and the loss of joint training (stage 2, :mod:`jtcse.training.joint`).

    Attributes:
        num_cross_attention_layers: n, equally spaced over the L layers (0: TNCSE).
        coupling: one of ``COUPLINGS``: ``value_swap`` (default), ``cls_query``, ``value_sum``.
        weight_nce, weight_icnce, weight_icnce_intermediate, weight_ictm: loss weights
            (0 switches a term off).
        dropout: hidden and attention dropout of both towers during joint training.
        max_sentences: train on the first this many corpus sentences (None: all).
        max_length: truncation length in tokens; temperature: tau of the InfoNCE terms.
        length_chunks: run each batch in this many length-sorted chunks (same result, less
            padding; see :mod:`jtcse.modeling.chunking`).
        selection: what model selection scores on STS-B dev: ``decoupled``, the sum of the
            towers' [CLS] with each tower encoding alone (the inference protocol), or
            ``coupled``, the twin-tower model with its cross-attention (the authors'
            ``train_jtcse_*.py``; the same as decoupled when n = 0).
    """

    num_cross_attention_layers: int = 3
    coupling: str = "value_swap"
    weight_nce: float = 1.0
    weight_icnce: float = 1.0
    weight_icnce_intermediate: float = 1.0
    weight_ictm: float = 1.0
    dropout: float = 0.1
    max_sentences: int | None = None
    max_length: int = 64
    temperature: float = 0.05
    length_chunks: int = 4
    selection: str = "decoupled"

    def __post_init__(self) -> None:
        _require_common(self.dropout, self.max_sentences, self.max_length, self.length_chunks)
        require_real("temperature", self.temperature, strict=True)
        require_choice("selection", self.selection, SELECTIONS)
        require_choice("coupling", self.coupling, COUPLINGS)
        weights = ("weight_nce", "weight_icnce", "weight_icnce_intermediate", "weight_ictm")
        for name in weights:
            require_real(name, getattr(self, name))
        active = ["weight_nce", "weight_icnce", "weight_ictm"]
        if self.num_cross_attention_layers > 0:  # the intermediate term exists only then
            active.append("weight_icnce_intermediate")
        if not any(getattr(self, name) > 0 for name in active):
            raise ValueError(f"one of {', '.join(active)} must be > 0; they are all 0")


@dataclass(frozen=True)
class DistillationSettings:
    """The distillation loss and the student's inputs (stage 3,
    :mod:`jtcse.training.distillation`).

    Attributes:
        weight_contrastive: k in [0, 1], the weight of the InfoNCE term (the L1 term has 1 - k).
        temperature: tau > 0 of the InfoNCE term.
        max_sentences: train on the first this many corpus sentences (None: all).
        max_length: truncation length of the student's input, in tokens.
        length_chunks: run each batch in this many length-sorted chunks (same result, less
            padding; see :mod:`jtcse.modeling.chunking`).
        dropout: hidden and attention dropout of the student during training.
    """

    weight_contrastive: float = 0.01
    temperature: float = 0.05
    max_sentences: int | None = None
    max_length: int = 64
    length_chunks: int = 4
    dropout: float = 0.1

    def __post_init__(self) -> None:
        require_fraction("weight_contrastive", self.weight_contrastive, include_one=True)
        require_real("temperature", self.temperature, strict=True)
        _require_common(self.dropout, self.max_sentences, self.max_length, self.length_chunks)


@dataclass(frozen=True)
class DistributedSettings:
    """How many processes share each global batch (:mod:`jtcse.training.launcher`).

    Attributes:
        num_processes: worker processes on this machine (one per GPU); 1 trains in the calling
            process. The batch size of the training config stays the global batch.
        num_nodes: machines taking part; this one is node 0 (the other machines start
            ``torchrun ... -m jtcse.training.launcher``, see that module's docstring).
        rdzv_endpoint: ``host:port`` of this machine as the other machines reach it; needed
            when ``num_nodes`` > 1.
    """

    num_processes: int = 1
    num_nodes: int = 1
    rdzv_endpoint: str | None = None

    def __post_init__(self) -> None:
        require_integer("num_processes", self.num_processes, minimum=1)
        require_integer("num_nodes", self.num_nodes, minimum=1)
        if self.num_nodes > 1:
            host, _, port = (self.rdzv_endpoint or "").rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(
                    f"rdzv_endpoint must be 'host:port' of this machine when num_nodes > 1; "
                    f"got {self.rdzv_endpoint!r}"
                )

    @property
    def world_size(self) -> int:
        """Processes over all machines."""
        return self.num_processes * self.num_nodes


@dataclass(frozen=True)
class MlmSettings:
    """Masked-language-model pretraining from random weights (:mod:`jtcse.training.mlm`): a
    BERT of this shape with the tokenizer of ``tokenizer`` (the base model's uncased WordPiece
    by default), trained on the corpus with dynamic masking.

    Attributes:
        num_layers, hidden_size, num_attention_heads, intermediate_size: the BERT's shape
            (default: all-MiniLM-L6-v2's, 6 x 384, 12 heads, 1536).
        max_length: truncation length in tokens (positions: ``max_position_embeddings``).
        max_position_embeddings: the position table (512 as the base model: the towers and
            the evaluation read longer inputs than the pretraining's ``max_length``).
        mask_probability: the share of (non-special) tokens predicted; of those 80% become
            ``[MASK]``, 10% a random token, 10% stay (BERT's rule).
        dropout: hidden and attention dropout.
        init_seed: seeds the random initial weights.
        held_out: the last this many corpus sentences are never trained on; their masked-token
            loss (masks drawn once, seeded) selects the best checkpoint.
        max_sentences: train on the first this many of the other sentences (None: all).
    """

    num_layers: int = 6
    hidden_size: int = 384
    num_attention_heads: int = 12
    intermediate_size: int = 1536
    max_length: int = 32
    max_position_embeddings: int = 512
    mask_probability: float = 0.15
    dropout: float = 0.1
    init_seed: int = 0
    held_out: int = 2000
    max_sentences: int | None = None

    def __post_init__(self) -> None:
        for name in ("num_layers", "hidden_size", "num_attention_heads", "intermediate_size"):
            require_integer(name, getattr(self, name), minimum=1)
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"hidden_size ({self.hidden_size}) must be a multiple of num_attention_heads "
                f"({self.num_attention_heads})"
            )
        require_integer("max_length", self.max_length, minimum=3)
        require_integer(
            "max_position_embeddings", self.max_position_embeddings, minimum=self.max_length
        )
        require_fraction("mask_probability", self.mask_probability)
        if self.mask_probability == 0:
            raise ValueError("mask_probability must be > 0: nothing would be predicted")
        require_fraction("dropout", self.dropout)
        require_integer("init_seed", self.init_seed, minimum=0)
        require_integer("held_out", self.held_out, minimum=1)
        require_integer("max_sentences", self.max_sentences, minimum=1, optional=True)

    def split(self, sentences: Sequence[str]) -> tuple[list[str], list[str]]:
        """(training sentences, held-out sentences): the last ``held_out`` are held out, the
        training ones are the first ``max_sentences`` of the rest. ValueError when the corpus
        has no sentence left to train on."""
        if len(sentences) <= self.held_out:
            raise ValueError(
                f"held_out ({self.held_out}) leaves no training sentence of {len(sentences)}"
            )
        training = list(sentences[: len(sentences) - self.held_out])
        return training[: self.max_sentences], list(sentences[len(sentences) - self.held_out :])


def _require_common(
    dropout: float, max_sentences: int | None, max_length: int, length_chunks: int
) -> None:
    """The checks of the fields every stage's settings share."""
    require_fraction("dropout", dropout)
    require_integer("max_sentences", max_sentences, minimum=1, optional=True)
    require_integer("max_length", max_length, minimum=1)
    require_integer("length_chunks", length_chunks, minimum=1)
