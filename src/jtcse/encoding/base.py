"""What every encoder shares: ``encode()``, written once.

An encoder turns sentences into a float32 array [len(sentences), dimension] whose row i belongs
to sentence i. :class:`TokenizedEncoder` tokenises once (truncating at ``max_length`` tokens),
sorts the sentences by token length, cuts batches by a row and a padded-token budget
(:func:`length_sorted_batches`), pads each batch only to its own longest sentence, calls the
backend's ``forward`` on it under ``torch.inference_mode()`` and puts the rows back in input
order; with an :class:`~jtcse.encoding.cache.EmbeddingCache` a model encodes a set of
sentences only once. A backend (PyTorch model, coupled twin towers, ONNX Runtime session)
supplies only ``forward``, ``dimension`` and ``cache_identities``;
:class:`jtcse.encoding.pytorch.Encoder` sums several of them.
"""

from __future__ import annotations

import itertools
import os
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from numpy.lib.format import write_array_header_1_0
from tqdm.auto import tqdm
from transformers import PreTrainedTokenizerBase

from jtcse.atomic import atomic_path

if TYPE_CHECKING:
    from jtcse.encoding.cache import EmbeddingCache

# The most padded tokens (rows x longest row) of one batch: with sentences sorted by length a
# batch of short sentences holds many rows and a batch of long ones few, so the work (and the
# activations' memory) of every batch is about the same.
BATCH_TOKENS = 16384
# Sentences tokenised (and sorted by length) together; larger inputs go chunk by chunk.
CHUNK_SENTENCES = 65536


class BaseEncoder(ABC):
    """A sentence encoder: subclasses supply :attr:`dimension` and :meth:`embed`."""

    @property
    @abstractmethod
    def dimension(self) -> int:
        """Size of one embedding vector."""

    @abstractmethod
    def embed(
        self,
        sentences: list[str],
        batch_size: int,
        show_progress: bool,
        cache: EmbeddingCache | None,
    ) -> np.ndarray:
        """float32 [len(sentences), dimension] for a non-empty list, rows in input order;
        with a ``cache``, rows it holds are read, not computed."""

    def prepare(self, sentences: int) -> None:
        """Called before a job of ``sentences`` sentences to compute (not cached), so that a
        backend can get ready for its size (compile its model for a long one); nothing by
        default."""
        return None

    def encode(
        self,
        sentences: Sequence[str],
        batch_size: int = 128,
        normalize: bool = False,
        show_progress: bool = False,
        cache: EmbeddingCache | None = None,
    ) -> np.ndarray:
        """Encode sentences into a float32 array of shape [len(sentences), dimension].

        At most ``batch_size`` sentences (and :data:`BATCH_TOKENS` padded tokens) go through
        the model at once; with ``normalize`` every row is scaled to unit L2 norm;
        ``show_progress`` shows a tqdm bar (sentences, rate, ETA); a ``cache``
        (:class:`~jtcse.encoding.cache.EmbeddingCache`) returns what each model encoded
        before for these sentences and keeps what it encodes now.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1; got {batch_size}")
        sentences = list(sentences)
        if not sentences:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.embed(sentences, batch_size, show_progress, cache)
        return normalize_rows(vectors) if normalize else vectors

    def encode_to_file(
        self,
        sentences: Iterable[str],
        rows: int,
        path: str | Path,
        batch_size: int = 128,
        normalize: bool = False,
        show_progress: bool = False,
    ) -> Path:
        """Encode ``rows`` sentences from an iterable (e.g. the lines of a file) into the
        float32 ``.npy`` file ``path`` [rows, dimension], :data:`CHUNK_SENTENCES` at a time:
        memory holds one chunk, whatever ``rows`` is. Each chunk's rows are appended after
        the ``.npy`` header, not written through a memory map, whose written pages would count
        in the process's resident memory (1 M x 384 float32 rows are 1.5 GiB). The file
        appears only when complete (written beside it, then renamed); an iterable that gives
        more or fewer than ``rows`` sentences raises ValueError and leaves no file."""
        self.prepare(rows)
        header = {"descr": "<f4", "fortran_order": False, "shape": (rows, self.dimension)}
        progress = tqdm(total=rows, desc="encode", unit="sent", disable=not show_progress)
        with atomic_path(path) as temporary, progress, temporary.open("wb") as output:
            write_array_header_1_0(output, header)
            written = 0
            for chunk in _chunks(sentences, CHUNK_SENTENCES):
                if written + len(chunk) > rows:
                    raise ValueError(f"more than the {rows} sentences announced")
                vectors = self.encode(chunk, batch_size, normalize)
                output.write(vectors.astype("<f4", copy=False).tobytes())
                written += len(chunk)
                progress.update(len(chunk))
            if written != rows:
                raise ValueError(f"{written} sentences, not the {rows} announced")
            output.flush()
            os.fsync(output.fileno())
        return Path(path)


class TokenizedEncoder(BaseEncoder):
    """An encoder with one tokenizer: subclasses supply :meth:`forward` on padded batches.

    A forward pass may give several embeddings of each sentence side by side (``outputs`` of
    them, e.g. several poolings of one model): :meth:`embed_outputs` returns them apart, and
    :meth:`embed` the first.
    """

    outputs: int = 1

    def __init__(self, tokenizer: PreTrainedTokenizerBase, max_length: int) -> None:
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.batch_tokens = BATCH_TOKENS  # the padded-token budget of one batch

    @abstractmethod
    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """[rows, outputs x dimension] embeddings of one batch (``input_ids``,
        ``attention_mask`` and the tokenizer's other outputs, int64 [rows, tokens], CPU)."""

    def cache_identities(self) -> list[dict[str, Any]] | None:
        """What determines each output's numbers (JSON values), as the embedding cache keys
        it; None: not cacheable (e.g. a model that is not a local folder)."""
        return None

    def embed(
        self,
        sentences: list[str],
        batch_size: int,
        show_progress: bool,
        cache: EmbeddingCache | None,
    ) -> np.ndarray:
        return self.embed_outputs(sentences, batch_size, show_progress, cache)[0]

    def embed_outputs(
        self,
        sentences: list[str],
        batch_size: int,
        show_progress: bool = False,
        cache: EmbeddingCache | None = None,
    ) -> list[np.ndarray]:
        """One float32 [len(sentences), dimension] array per output, from the cache when it
        holds them all, else from one pass over the sentences."""
        identities = self.cache_identities() if cache is not None else None
        if identities is None:
            return self._run(sentences, batch_size, show_progress)
        return cache.get_or_compute(
            identities, sentences, lambda: self._run(sentences, batch_size, show_progress)
        )

    def _run(self, sentences: list[str], batch_size: int, show_progress: bool) -> list[np.ndarray]:
        """Tokenise and encode :data:`CHUNK_SENTENCES` sentences at a time (sorted by length
        within each chunk), so that memory stays bounded however many there are."""
        output = np.zeros((len(sentences), self.outputs * self.dimension), dtype=np.float32)
        self.prepare(len(sentences))
        progress = tqdm(total=len(sentences), desc="encode", unit="sent", disable=not show_progress)
        with torch.inference_mode(), progress:
            for start in range(0, len(sentences), CHUNK_SENTENCES):
                chunk = sentences[start : start + CHUNK_SENTENCES]
                token_ids = self.tokenizer(chunk, truncation=True, max_length=self.max_length)[
                    "input_ids"
                ]
                lengths = [len(ids) for ids in token_ids]
                for rows in length_sorted_batches(lengths, batch_size, self.batch_tokens):
                    batch = self.tokenizer.pad(
                        {"input_ids": [token_ids[row] for row in rows]}, return_tensors="pt"
                    )
                    output[start + rows] = self.forward(dict(batch)).float().cpu().numpy()
                    progress.update(len(rows))
        return np.split(output, self.outputs, axis=1) if self.outputs > 1 else [output]


def length_sorted_batches(
    lengths: Sequence[int], batch_size: int, batch_tokens: int = BATCH_TOKENS
) -> list[np.ndarray]:
    """Row indices in batches of similar length: sentences sorted by token length (stable),
    cut when a batch reaches ``batch_size`` rows or when one more row would pad it past
    ``batch_tokens`` tokens (rows x its longest length); a longer sentence goes alone."""
    order = np.argsort(np.asarray(lengths), kind="stable")
    batches, start = [], 0
    for end in range(1, len(order) + 1):
        longest = lengths[order[end - 1]]
        full = end - start > batch_size or (end - start) * longest > batch_tokens
        if full and end - 1 > start:
            batches.append(order[start : end - 1])
            start = end - 1
    if start < len(order):
        batches.append(order[start:])
    return batches


def _chunks(items: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def max_tokens(max_position_embeddings: int, tokenizer: PreTrainedTokenizerBase) -> int:
    """The longest input in tokens: the smaller of the model's position table and the
    tokenizer's ``model_max_length`` (RoBERTa has 514 positions but holds 512 tokens)."""
    return min(int(max_position_embeddings), int(tokenizer.model_max_length))


def normalize_rows(vectors: np.ndarray) -> np.ndarray:
    """Scale every row to unit L2 norm (zero rows stay zero)."""
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
