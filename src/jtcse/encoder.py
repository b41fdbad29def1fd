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

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from jtcse.modeling.loading import load_model_and_tokenizer
from jtcse.modeling.pooling import check_pooling, pool


@dataclass
class _Member:
    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase


class Encoder:
    """Sentence encoder over one model or the sum of several (an ensemble).

    With ``bf16`` the models' weights are cast to bfloat16 (about 2x faster than fp32 on CPUs
    with AMX; see ``benchmarks/eval_speed.py`` for the speed and the STS difference); pooling
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
        """Load a model folder, Hub id or alias, or a list of them (embeddings summed)."""
        names = [paths] if isinstance(paths, str | Path) else list(paths)
        return cls([load_model_and_tokenizer(name) for name in names], pooling, bf16)

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
        if normalize:
            total /= np.maximum(np.linalg.norm(total, axis=1, keepdims=True), 1e-12)
        return total

    def _encode_member(
        self, member: _Member, sentences: list[str], batch_size: int, show_progress: bool
    ) -> np.ndarray:
        # RoBERTa's 514 position embeddings hold 512 tokens; its tokenizer knows the real limit.
        limit = min(member.model.config.max_position_embeddings, member.tokenizer.model_max_length)
        token_ids = member.tokenizer(sentences, truncation=True, max_length=limit)["input_ids"]
        order = np.argsort([len(ids) for ids in token_ids], kind="stable")
        output = np.zeros((len(sentences), self.dimension), dtype=np.float32)
        batches = range(0, len(order), batch_size)
        with torch.inference_mode():
            for start in tqdm(batches, desc="encode", unit="batch", disable=not show_progress):
                rows = order[start : start + batch_size]
                batch = member.tokenizer.pad(
                    {"input_ids": [token_ids[row] for row in rows]}, return_tensors="pt"
                )
                outputs = member.model(**batch)
                pooler_output = getattr(outputs, "pooler_output", None)
                embeddings = pool(
                    outputs.last_hidden_state.float(),
                    batch["attention_mask"],
                    self.pooling,
                    None if pooler_output is None else pooler_output.float(),
                )
                output[rows] = embeddings.numpy()
        return output
