"""What every encoder shares: ``encode()``, written once.

An encoder turns sentences into a float32 array [len(sentences), dimension] whose row i belongs
to sentence i. :class:`TokenizedEncoder` tokenises once (truncating at ``max_length`` tokens),
sorts the sentences by token length, pads each batch only to its own longest sentence, calls
the backend's ``forward`` on it under ``torch.inference_mode()`` and puts the rows back in input
order. A backend (PyTorch model, coupled twin towers, ONNX Runtime session) supplies only
``forward`` and ``dimension``; :class:`jtcse.encoding.pytorch.Encoder` sums several of them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np
import torch
from tqdm.auto import tqdm
from transformers import PreTrainedTokenizerBase


class BaseEncoder(ABC):
    """A sentence encoder: subclasses supply :attr:`dimension` and :meth:`embed`."""

    @property
    @abstractmethod
    def dimension(self) -> int:
        """Size of one embedding vector."""

    @abstractmethod
    def embed(self, sentences: list[str], batch_size: int, show_progress: bool) -> np.ndarray:
        """float32 [len(sentences), dimension] for a non-empty list, rows in input order."""

    def encode(
        self,
        sentences: Sequence[str],
        batch_size: int = 128,
        normalize: bool = False,
        show_progress: bool = False,
    ) -> np.ndarray:
        """Encode sentences into a float32 array of shape [len(sentences), dimension].

        ``batch_size`` sentences go through the model at once; with ``normalize`` every row is
        scaled to unit L2 norm; ``show_progress`` shows a tqdm bar (batches, rate, ETA).
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1; got {batch_size}")
        sentences = list(sentences)
        if not sentences:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.embed(sentences, batch_size, show_progress)
        return normalize_rows(vectors) if normalize else vectors


class TokenizedEncoder(BaseEncoder):
    """An encoder with one tokenizer: subclasses supply :meth:`forward` on padded batches."""

    def __init__(self, tokenizer: PreTrainedTokenizerBase, max_length: int) -> None:
        self.tokenizer = tokenizer
        self.max_length = max_length

    @abstractmethod
    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """[rows, dimension] embeddings of one batch (``input_ids``, ``attention_mask`` and
        the tokenizer's other outputs, int64 [rows, tokens], on the CPU)."""

    def embed(self, sentences: list[str], batch_size: int, show_progress: bool) -> np.ndarray:
        token_ids = self.tokenizer(sentences, truncation=True, max_length=self.max_length)[
            "input_ids"
        ]
        order = np.argsort([len(ids) for ids in token_ids], kind="stable")
        output = np.zeros((len(order), self.dimension), dtype=np.float32)
        batches = range(0, len(order), batch_size)
        with torch.inference_mode():
            for start in tqdm(batches, desc="encode", unit="batch", disable=not show_progress):
                rows = order[start : start + batch_size]
                batch = self.tokenizer.pad(
                    {"input_ids": [token_ids[row] for row in rows]}, return_tensors="pt"
                )
                output[rows] = self.forward(dict(batch)).float().cpu().numpy()
        return output


def max_tokens(max_position_embeddings: int, tokenizer: PreTrainedTokenizerBase) -> int:
    """The longest input in tokens: the smaller of the model's position table and the
    tokenizer's ``model_max_length`` (RoBERTa has 514 positions but holds 512 tokens)."""
    return min(int(max_position_embeddings), int(tokenizer.model_max_length))


def normalize_rows(vectors: np.ndarray) -> np.ndarray:
    """Scale every row to unit L2 norm (zero rows stay zero)."""
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
