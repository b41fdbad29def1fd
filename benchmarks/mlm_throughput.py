"""Masked-language-model pretraining steps per second: the output layer everywhere (Hugging
Face's ``BertForMaskedLM`` loss, as it is) against at the chosen positions only
(:class:`jtcse.training.mlm.SparseMaskedLm`), for each architecture asked for.

Every variant trains a fresh, randomly initialised BERT with the base model's tokenizer on the
same batches (``--batch-size`` sentences of the corpus cut at ``--max-length`` tokens, BERT's
dynamic masking, :func:`jtcse.training.mlm.mlm_collator`) with AdamW; a step is collation,
forward, loss, backward and the optimiser step, under bf16 autocast where the CPU has native
bfloat16 (``bf16: auto``). After one warm-up step each, ``--steps`` steps per variant run
interleaved (the machine may be noisy); the median step time gives steps/s, sentences/s and
(real, unpadded) tokens/s, and the steps an hour of pretraining buys (``--budget-minutes``)
with the share of the corpus it covers. Printed and written to
``benchmarks/results/mlm_throughput.json``.

Run from the project root on an otherwise idle machine::

    python benchmarks/mlm_throughput.py --steps 5 --arch 6x384x12x1536 --arch 4x256x4x1024
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch
from transformers import AutoTokenizer

from corpus_arguments import add_model_and_corpus_arguments, corpus_path, first_sentences
from jtcse.atomic import write_json_atomic
from jtcse.modeling.names import resolve_model_path
from jtcse.modeling.precision import resolve_bf16
from jtcse.training.mlm import SparseMaskedLm, build_model, mlm_collator
from jtcse.training.settings import MlmSettings

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RESULTS = PROJECT_ROOT / "benchmarks" / "results" / "mlm_throughput.json"


def architecture_settings(architecture: str, max_length: int) -> MlmSettings:
    """``"6x256x4x1024"`` (layers x width x heads x ffn) -> the settings of that shape, inputs
    cut at ``max_length`` tokens, the rest :class:`MlmSettings`' defaults."""
    layers, width, heads, intermediate = (int(part) for part in architecture.split("x"))
    return MlmSettings(
        num_layers=layers,
        hidden_size=width,
        num_attention_heads=heads,
        intermediate_size=intermediate,
        max_length=max_length,
    )


def _step_function(
    model: SparseMaskedLm, sparse: bool
) -> Callable[[dict[str, torch.Tensor], bool], None]:
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)

    def step(batch: dict[str, torch.Tensor], bf16: bool) -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            if sparse:
                total, count, _ = model(**batch)
                loss = total / count.clamp(min=1)
            else:
                loss = model.model(**batch).loss  # every position's logits
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    return step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_model_and_corpus_arguments(parser)
    parser.add_argument("--arch", action="append", help="layers x width x heads x ffn")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--max-length", type=int, default=32)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--budget-minutes", type=float, default=60.0)
    parser.add_argument("--output", type=Path, default=RESULTS)
    arguments = parser.parse_args()
    architectures = arguments.arch or ["6x384x12x1536", "4x256x4x1024"]
    corpus = corpus_path(parser, arguments.corpus)
    corpus_lines = sum(1 for line in corpus.open(encoding="utf-8") if line.strip())
    tokenizer = AutoTokenizer.from_pretrained(resolve_model_path(arguments.model))
    bf16 = resolve_bf16("auto")
    sentences = first_sentences(corpus, arguments.batch_size * (arguments.steps + 1))
    collate = mlm_collator(tokenizer, arguments.max_length, 0.15, torch.Generator().manual_seed(0))
    batches = [
        collate(sentences[start : start + arguments.batch_size])
        for start in range(0, len(sentences), arguments.batch_size)
    ]
    tokens = [int(batch["attention_mask"].sum()) for batch in batches]
    load_before = os.getloadavg()
    variants = {}
    for architecture in architectures:
        settings = architecture_settings(architecture, arguments.max_length)
        for sparse in (False, True):
            torch.manual_seed(0)
            model = SparseMaskedLm(build_model(settings, tokenizer)).train()
            variants[f"{architecture} {'sparse' if sparse else 'full'}"] = (
                _step_function(model, sparse),
                [],
            )
    for index, batch in enumerate(batches):  # step 0 warms up; the rest interleave
        for step, seconds in variants.values():
            start = time.perf_counter()
            step(batch, bf16)
            if index:
                seconds.append(time.perf_counter() - start)
    results = {}
    for name, (_, seconds) in variants.items():
        median = statistics.median(seconds)
        steps_in_budget = arguments.budget_minutes * 60 / median
        results[name] = {
            "median_step_seconds": median,
            "steps_per_second": 1 / median,
            "sentences_per_second": arguments.batch_size / median,
            "tokens_per_second": statistics.mean(tokens[1:]) / median,
            "steps_in_budget": steps_in_budget,
            "corpus_passes_in_budget": steps_in_budget * arguments.batch_size / corpus_lines,
        }
    for architecture in architectures:
        full, sparse = results[f"{architecture} full"], results[f"{architecture} sparse"]
        sparse["speedup_over_full"] = full["median_step_seconds"] / sparse["median_step_seconds"]
    for name, result in results.items():
        print(
            f"{name:<24} {result['steps_per_second']:.2f} steps/s "
            f"{result['tokens_per_second']:.0f} tokens/s "
            f"{result['corpus_passes_in_budget']:.2f} corpus passes in the budget"
        )
    write_json_atomic(
        arguments.output,
        {
            "benchmark": "mlm_throughput",
            "batch_size": arguments.batch_size,
            "max_length": arguments.max_length,
            "bf16": bf16,
            "steps": arguments.steps,
            "corpus_sentences": corpus_lines,
            "budget_minutes": arguments.budget_minutes,
            "results": results,
            "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
        },
    )
    print(f"wrote {arguments.output}")


if __name__ == "__main__":
    main()
