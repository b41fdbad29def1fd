"""Batched translation with any ``AutoModelForSeq2SeqLM``, and the round trip of a corpus,
resumable by chunks.

A round trip of sentence x is backward(forward(x)): greedy or beam ``generate`` on
length-sorted batches (:func:`jtcse.encoding.base.length_sorted_batches`), on the GPU when
there is one. The corpus goes :attr:`RoundTripSettings.chunk_sentences` at a time; each
finished chunk is written atomically to ``work_dir/chunk-NNNNNN.json`` with its fingerprint
(the two models, the generation settings, the sha256 of its sentences), and a rerun reuses
every chunk whose fingerprint matches, so an interrupted run loses at most one chunk.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

from jtcse.atomic import write_json_atomic
from jtcse.encoding.base import length_sorted_batches
from jtcse.encoding.cache import sentences_digest
from jtcse.modeling.device import default_device
from jtcse.modeling.names import resolve_model_path
from jtcse.translation.settings import RoundTripSettings


class Translator:
    """One ``AutoModelForSeq2SeqLM`` and its tokenizer, in eval mode on the default device
    (no code from the folder is run: ``trust_remote_code`` is off)."""

    def __init__(self, name: str) -> None:
        path = resolve_model_path(name)
        self.name = name
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForSeq2SeqLM.from_pretrained(path, trust_remote_code=False)
        self.model = model.to(default_device()).eval()

    def translate(self, sentences: Sequence[str], settings: RoundTripSettings) -> list[str]:
        """The translation of each sentence, in input order (inputs truncated at
        ``settings.max_length`` tokens, at most as many new tokens)."""
        token_ids = self.tokenizer(
            list(sentences), truncation=True, max_length=settings.max_length
        )["input_ids"]
        lengths = [len(ids) for ids in token_ids]
        output = [""] * len(sentences)
        with torch.inference_mode():
            for rows in length_sorted_batches(lengths, settings.batch_size):
                batch = self.tokenizer.pad(
                    {"input_ids": [token_ids[row] for row in rows]}, return_tensors="pt"
                )
                generated = self.model.generate(
                    input_ids=batch["input_ids"].to(self.model.device),
                    attention_mask=batch["attention_mask"].to(self.model.device),
                    max_new_tokens=settings.max_length,
                    num_beams=settings.num_beams,
                    do_sample=False,
                )
                texts = self.tokenizer.batch_decode(generated, skip_special_tokens=True)
                for row, text in zip(rows, texts, strict=True):
                    output[row] = text
        return output


def round_trip_corpus(
    sentences: Sequence[str],
    forward: str,
    backward: str,
    settings: RoundTripSettings,
    work_dir: Path,
    name: str = "round trip",
) -> list[str]:
    """backward(forward(x)) for every sentence, row i for sentence i, chunk by chunk (see the
    module); the models are loaded only when a chunk is missing."""
    translators: list[Translator] = []
    output: list[str] = []
    progress = tqdm(total=len(sentences), desc=name, unit="sent")
    with progress:
        for start in range(0, len(sentences), settings.chunk_sentences):
            chunk = list(sentences[start : start + settings.chunk_sentences])
            path = Path(work_dir) / f"chunk-{start // settings.chunk_sentences:06d}.json"
            fingerprint = {
                "forward": forward,
                "backward": backward,
                "generation": settings.generation(),
                "sentences": sentences_digest(chunk),
            }
            round_trips = _finished_chunk(path, fingerprint, len(chunk))
            if round_trips is None:
                translators = translators or [Translator(forward), Translator(backward)]
                pivot = translators[0].translate(chunk, settings)
                round_trips = translators[1].translate(pivot, settings)
                write_json_atomic(path, {"fingerprint": fingerprint, "round_trips": round_trips})
            output.extend(round_trips)
            progress.update(len(chunk))
    return output


def _finished_chunk(path: Path, fingerprint: dict[str, Any], rows: int) -> list[str] | None:
    """The round trips of a chunk written before with the same fingerprint, else None."""
    if not path.is_file():
        return None
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return None
    round_trips = saved.get("round_trips")
    if saved.get("fingerprint") != fingerprint or not isinstance(round_trips, list):
        return None
    return round_trips if len(round_trips) == rows else None
