"""Our encoders as mteb models: one adapter for one model, a summed ensemble, the coupled twin
or an ONNX export (any :class:`~jtcse.encoding.base.BaseEncoder`).

mteb calls ``encode(dataloader, task_metadata=..., hf_split=..., hf_subset=...)`` once per
split of a task; :class:`MtebEncoder` gathers the texts, encodes each distinct text once per
process (a dictionary from text to row) and the rest through the
:class:`~jtcse.encoding.cache.EmbeddingCache`, so a rerun encodes nothing that it encoded
before. Its metadata (:func:`model_meta`) names the encoder, gives as revision a digest of
what determines its numbers and declares cosine similarity (``ScoringFunction.COSINE``, the
enum: mteb compares it with ``is``), so mteb scores with the cosine as our STS evaluation does.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

# ``import mteb`` reads its cache folder from $MTEB_CACHE (default ~/.cache/mteb): point it at
# the system's temporary directory unless set, so that nothing is written under ~/.cache.
os.environ.setdefault("MTEB_CACHE", str(Path(tempfile.gettempdir()) / "jtcse-mteb-cache"))

import mteb
from mteb.models import ModelMeta
from mteb.models.abs_encoder import AbsEncoder
from mteb.models.model_meta import ScoringFunction

if TYPE_CHECKING:
    from mteb.abstasks.task_metadata import TaskMetadata
    from torch.utils.data import DataLoader

    from jtcse.encoding.base import BaseEncoder
    from jtcse.encoding.cache import EmbeddingCache

__all__ = ["MtebEncoder", "model_meta", "mteb", "revision_digest"]

# mteb's model names are "organisation/name"; every encoder of this project is jtcse/<name>.
ORGANISATION = "jtcse"


def revision_digest(identity: Mapping[str, Any]) -> str:
    """The first 16 hex digits of the sha256 of ``identity`` as sorted JSON (the folder
    digests, pooling and precision of an encoder): the mteb revision of that encoder."""
    return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]


def model_meta(
    name: str,
    revision: str,
    dimension: int,
    max_tokens: int | None,
    framework: str = "PyTorch",
) -> ModelMeta:
    """mteb metadata of one of our encoders: ``jtcse/<name>`` at ``revision``, ``dimension``
    wide, cosine similarity, no instructions, English."""
    return ModelMeta.create_empty(
        {
            "name": f"{ORGANISATION}/{name}",
            "revision": revision,
            "release_date": date.today().isoformat(),
            "languages": ["eng-Latn"],
            "embed_dim": dimension,
            "max_tokens": max_tokens,
            "framework": [framework],
            "similarity_fn_name": ScoringFunction.COSINE,
            "use_instructions": False,
            "open_weights": True,
            "reference": "https://arxiv.org/abs/2505.02366",
        }
    )


class MtebEncoder(AbsEncoder):
    """An mteb encoder over one of our encoders; see the module.

    Args:
        encoder: what turns sentences into float32 rows.
        meta: its mteb metadata (:func:`model_meta`).
        cache: the embedding cache, or None to encode everything.
        batch_size: sentences per forward pass (mteb's ``batch_size`` only sizes its
            dataloader's batches, which are gathered before encoding).
        normalize: scale every row to unit L2 norm (what a sentence-transformers model with a
            ``Normalize`` module returns, e.g. all-MiniLM-L6-v2): the cosine is unchanged, but
            mteb's classifiers (logistic regression) see other features.
    """

    def __init__(
        self,
        encoder: BaseEncoder,
        meta: ModelMeta,
        cache: EmbeddingCache | None = None,
        batch_size: int = 128,
        normalize: bool = False,
    ) -> None:
        self.model = encoder
        self.normalize = normalize
        self.mteb_model_meta = meta
        self.cache = cache
        self.batch_size = batch_size
        self._rows: dict[str, np.ndarray] = {}
        self.encode_seconds = 0.0  # wall seconds spent in encode, all calls together

    def encode(
        self,
        inputs: DataLoader,
        *,
        task_metadata: TaskMetadata,
        hf_split: str,
        hf_subset: str,
        prompt_type: Any = None,
        **kwargs: Any,
    ) -> np.ndarray:
        """float32 [texts, dimension], row i for the i-th text of ``inputs`` (in batch order);
        ``prompt_type`` (query or document, for retrieval) is not used: every encoder here is
        symmetric, one function of the text."""
        start = time.perf_counter()
        texts = [text for batch in inputs for text in batch["text"]]
        missing = [text for text in dict.fromkeys(texts) if text not in self._rows]
        if missing:
            vectors = self.model.encode(
                missing,
                batch_size=self.batch_size,
                normalize=self.normalize,
                show_progress=kwargs.get("show_progress_bar", True),
                cache=self.cache,
            )
            self._rows.update(zip(missing, vectors, strict=True))
        rows = (
            np.stack([self._rows[text] for text in texts])
            if texts
            else np.zeros((0, self.model.dimension), dtype=np.float32)
        )
        self.encode_seconds += time.perf_counter() - start
        return rows
