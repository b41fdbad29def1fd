"""The public API to encode sentences with a trained encoder.

An :class:`Encoder` wraps one model folder (or Hub id), or several folders whose embeddings are
summed: the twin-tower ensemble e(x) = h1(x) + h2(x) of JTCSE. Sentences are tokenised once,
sorted by token length and batched so that each batch is padded only to its own longest
sentence; the embeddings come back in the input order.

Example:
    >>> encoder = Encoder.load(["data/06_models/tower_1", "data/06_models/tower_2"])
    >>> vectors = encoder.encode(["a man plays a guitar .", "a woman slices an onion ."])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm
from transformers import AutoConfig, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from jtcse.modeling.loading import default_device, load_model_and_tokenizer, resolve_model_path
from jtcse.modeling.pooling import check_pooling, pool
from jtcse.modeling.twin_tower import TwinTowerModel


@dataclass
class _Member:
    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase


class Encoder:
    """Sentence encoder over one model or the sum of several (an ensemble).

    With ``bf16`` the models' weights are cast to bfloat16 (about 3x faster than fp32 on CPUs
    with native bfloat16; ``benchmarks/eval_speed.py`` measures the speed and the STS
    difference); pooling
    and the returned vectors are float32.
    """

    def __init__(
        self,
        members: Sequence[tuple[PreTrainedModel, PreTrainedTokenizerBase]],
        pooling: str = "cls",
        bf16: bool = False,
    ) -> None:
        if not members:
            raise ValueError("an Encoder needs at least one model")
        dtype = torch.bfloat16 if bf16 else torch.float32
        self.members = [_Member(model.eval().to(dtype), tokenizer) for model, tokenizer in members]
        self.pooling = check_pooling(pooling)
        self.bf16 = bf16

    @classmethod
    def load(
        cls, paths: str | Path | Sequence[str | Path], pooling: str = "cls", bf16: bool = False
    ) -> Encoder:
        """Load a model folder, Hub id or alias, or a list of them (embeddings summed).

        With ``bf16`` the models use eager attention: for short sentences it is faster in
        bfloat16 than the fused SDPA kernel on CPU (see ``benchmarks/eval_speed.py``).
        """
        names = [paths] if isinstance(paths, str | Path) else list(paths)
        options = {"attn_implementation": "eager"} if bf16 else {}
        return cls([load_model_and_tokenizer(name, **options) for name in names], pooling, bf16)

    @property
    def dimension(self) -> int:
        """Size of one embedding vector."""
        return int(self.members[0].model.config.hidden_size)

    def encode(
        self,
        sentences: Sequence[str],
        batch_size: int = 128,
        normalize: bool = False,
        show_progress: bool = False,
    ) -> np.ndarray:
        """Encode sentences into a float32 array of shape [len(sentences), dimension].

        With ``normalize`` every row is scaled to unit L2 norm.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1; got {batch_size}")
        sentences = list(sentences)
        total = np.zeros((len(sentences), self.dimension), dtype=np.float32)
        if not sentences:
            return total
        for member in self.members:
            total += self._encode_member(member, sentences, batch_size, show_progress)
        return normalize_rows(total) if normalize else total

    def _encode_member(
        self, member: _Member, sentences: list[str], batch_size: int, show_progress: bool
    ) -> np.ndarray:
        def embed(batch: dict[str, torch.Tensor]) -> torch.Tensor:
            outputs = member.model(**{k: v.to(member.model.device) for k, v in batch.items()})
            pooler_output = getattr(outputs, "pooler_output", None)
            return pool(
                outputs.last_hidden_state.float(),
                batch["attention_mask"],
                self.pooling,
                None if pooler_output is None else pooler_output.float(),
            )

        limit = max_tokens(member.model.config.max_position_embeddings, member.tokenizer)
        return encode_in_length_order(
            member.tokenizer, sentences, embed, batch_size, limit, show_progress
        )


def encode_in_length_order(
    tokenizer: PreTrainedTokenizerBase,
    sentences: Sequence[str],
    embed: Callable[[dict[str, torch.Tensor]], torch.Tensor],
    batch_size: int,
    max_length: int,
    show_progress: bool = False,
) -> np.ndarray:
    """Tokenise once, sort by token length, and call ``embed`` on batches padded per batch.

    ``embed(batch) -> [rows, dim]`` gets ``input_ids`` and ``attention_mask``; the result comes
    back as float32 in the order of ``sentences``. Runs under ``torch.inference_mode()``.
    """
    token_ids = tokenizer(list(sentences), truncation=True, max_length=max_length)["input_ids"]
    order = np.argsort([len(ids) for ids in token_ids], kind="stable")
    output: np.ndarray | None = None
    batches = range(0, len(order), batch_size)
    with torch.inference_mode():
        for start in tqdm(batches, desc="encode", unit="batch", disable=not show_progress):
            rows = order[start : start + batch_size]
            batch = tokenizer.pad(
                {"input_ids": [token_ids[row] for row in rows]}, return_tensors="pt"
            )
            embeddings = embed(dict(batch)).float().cpu().numpy()
            if output is None:
                output = np.zeros((len(order), embeddings.shape[1]), dtype=np.float32)
            output[rows] = embeddings
    return output if output is not None else np.zeros((0, 0), dtype=np.float32)


class CoupledTwinEncoder:
    """The joint twin-tower model at inference, cross-attention on: e(x) = h1_CLS + h2_CLS.

    The published protocol encodes with each tower alone (an :class:`Encoder` over both
    folders); this coupled mode is reported beside it (METHOD.md section 1.3).
    """

    def __init__(
        self, model: TwinTowerModel, tokenizer: PreTrainedTokenizerBase, bf16: bool = False
    ) -> None:
        self.model = model.eval().to(torch.bfloat16 if bf16 else torch.float32)
        self.tokenizer = tokenizer

    @classmethod
    def load(
        cls,
        tower_1: str | Path,
        tower_2: str | Path,
        num_cross_attention_layers: int | None = None,
        coupling: str | None = None,
        bf16: bool = False,
    ) -> CoupledTwinEncoder:
        """Couple two tower folders (they must share the tokenizer) as in joint training.

        ``num_cross_attention_layers`` and ``coupling`` default to what joint training
        recorded in the towers' ``config.json`` (key ``jtcse``).
        """
        tower_1, tower_2 = resolve_model_path(tower_1), resolve_model_path(tower_2)
        recorded = getattr(AutoConfig.from_pretrained(tower_1), "jtcse", None) or {}
        if num_cross_attention_layers is None and "num_cross_attention_layers" not in recorded:
            raise ValueError(
                f"{tower_1}: config.json records no jtcse coupling; pass num_cross_attention_layers"
            )
        model = TwinTowerModel.from_pretrained(
            tower_1,
            tower_2,
            num_cross_attention_layers=recorded.get("num_cross_attention_layers")
            if num_cross_attention_layers is None
            else num_cross_attention_layers,
            coupling=coupling or recorded.get("coupling", "value_swap"),
        ).to(default_device())
        return cls(model, AutoTokenizer.from_pretrained(tower_1), bf16)

    def encode(
        self,
        sentences: Sequence[str],
        batch_size: int = 128,
        normalize: bool = False,
        show_progress: bool = False,
    ) -> np.ndarray:
        """Encode sentences into a float32 array [len(sentences), hidden] (see Encoder.encode)."""

        def embed(batch: dict[str, torch.Tensor]) -> torch.Tensor:
            device = self.model.tower_1.device
            output = self.model(batch["input_ids"].to(device), batch["attention_mask"].to(device))
            return output.cls_1.float() + output.cls_2.float()

        limit = max_tokens(self.model.tower_1.config.max_position_embeddings, self.tokenizer)
        vectors = encode_in_length_order(
            self.tokenizer, list(sentences), embed, batch_size, limit, show_progress
        )
        return normalize_rows(vectors) if normalize else vectors


def max_tokens(max_position_embeddings: int, tokenizer: PreTrainedTokenizerBase) -> int:
    """The longest input in tokens: the smaller of the model's position table and the
    tokenizer's ``model_max_length`` (RoBERTa has 514 positions but holds 512 tokens)."""
    return min(int(max_position_embeddings), int(tokenizer.model_max_length))


def normalize_rows(vectors: np.ndarray) -> np.ndarray:
    """Scale every row to unit L2 norm (zero rows stay zero)."""
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
