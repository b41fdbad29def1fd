"""An on-disk cache of embeddings: each model encodes a set of sentences once.

An entry holds the float32 embeddings [sentences, dimension] that one encoder identity (what
determines the numbers: the model folder's content digest, pooling, precision, attention
implementation, maximum length, library versions; see ``cache_identity`` of the encoders)
gives for one list of sentences (its sha256). It is two files in the cache folder, named by
the digest of the key:

- ``<name>.npy``: the array (``numpy.save``; never pickle), written atomically;
- ``<name>.json``: the manifest, written after the array: the key, the shape and the sha256
  of the ``.npy`` bytes.

A read trusts an entry only when its manifest parses, records the same key and shape, and the
array's bytes have the recorded digest; anything else (a truncated file, a file of another
entry copied over it, a missing manifest) is reported with a warning and recomputed.

Example:
    >>> cache = EmbeddingCache("data/07_model_output/embeddings")
    >>> vectors = Encoder.load("data/06_models/student").encode(sentences, cache=cache)
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from jtcse.atomic import atomic_path, write_json_atomic

logger = logging.getLogger(__name__)

# Bump when the way embeddings are computed changes without a change to their identity.
CACHE_FORMAT = 1
_LIBRARIES = ("torch", "transformers", "onnxruntime")


def sentences_digest(sentences: Sequence[str]) -> str:
    """sha256 of the sentences in order (each UTF-8 encoded, NUL-terminated)."""
    digest = hashlib.sha256()
    for sentence in sentences:
        digest.update(sentence.encode("utf-8") + b"\0")
    return digest.hexdigest()


class EmbeddingCache:
    """Embeddings stored under ``folder`` by (encoder identity, sentences); see the module."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.hits = 0
        self.misses = 0

    def get_or_compute(
        self,
        identities: Sequence[Mapping[str, Any]],
        sentences: Sequence[str],
        compute: Callable[[], Sequence[np.ndarray]],
    ) -> list[np.ndarray]:
        """The cached arrays of each identity for ``sentences``; when any is missing,
        ``compute()`` returns all of them (one forward pass may give several poolings), and
        the missing ones are stored."""
        keys = [self._key(identity, sentences) for identity in identities]
        found = [self._read(key, len(sentences)) for key in keys]
        if all(array is not None for array in found):
            self.hits += len(keys)
            return found
        computed = list(compute())
        for key, array, cached in zip(keys, computed, found, strict=True):
            if cached is None:
                self._write(key, array)
        self.hits += sum(array is not None for array in found)
        self.misses += sum(array is None for array in found)
        return computed

    @staticmethod
    def _key(identity: Mapping[str, Any], sentences: Sequence[str]) -> dict[str, Any]:
        return {
            "format": CACHE_FORMAT,
            "encoder": dict(identity),
            "libraries": {name: _version(name) for name in _LIBRARIES},
            "sentences": sentences_digest(sentences),
        }

    def _paths(self, key: Mapping[str, Any]) -> tuple[Path, Path]:
        name = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:32]
        return self.folder / f"{name}.npy", self.folder / f"{name}.json"

    def _read(self, key: Mapping[str, Any], rows: int) -> np.ndarray | None:
        array_path, manifest_path = self._paths(key)
        if not manifest_path.exists():
            return None
        try:
            manifest = json.loads(manifest_path.read_text())
            data = array_path.read_bytes()
            problem = _mismatch(manifest, key, rows, hashlib.sha256(data).hexdigest())
            array = None if problem else np.load(io.BytesIO(data), allow_pickle=False)
        except (OSError, ValueError) as error:
            problem, array = f"unreadable ({error})", None
        if problem is None and array.shape != tuple(manifest["shape"]):
            problem = f"array of shape {array.shape}, manifest says {manifest['shape']}"
        if problem is not None:
            logger.warning("embedding cache: ignoring %s: %s; recomputing", array_path, problem)
            return None
        return array

    def _write(self, key: Mapping[str, Any], array: np.ndarray) -> None:
        array = np.ascontiguousarray(array, dtype=np.float32)
        array_path, manifest_path = self._paths(key)
        with atomic_path(array_path) as temporary:
            with temporary.open("wb") as handle:
                np.save(handle, array, allow_pickle=False)
            digest = hashlib.sha256(temporary.read_bytes()).hexdigest()
        manifest = {"key": key, "shape": list(array.shape), "sha256": digest}
        write_json_atomic(manifest_path, manifest)


def _mismatch(
    manifest: Mapping[str, Any], key: Mapping[str, Any], rows: int, digest: str
) -> str | None:
    """Why a manifest does not vouch for the array whose bytes hash to ``digest``, or None."""
    if manifest.get("key") != key:
        return "its manifest records another key"
    shape = manifest.get("shape") or [None]
    if shape[0] != rows:
        return f"it has {shape[0]} rows, not {rows}"
    if manifest.get("sha256") != digest:
        return "its bytes do not match the manifest's sha256 (truncated or replaced)"
    return None


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None
