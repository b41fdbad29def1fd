"""When ``torch.compile`` pays: compile seconds, eager and compiled rates, and the break-even.

Jobs, each with the default chain's settings (``conf/base``) on the CPU of the run:

- ``encode``: every distinct STS-7 sentence, [CLS] of the base model, ``bf16: auto``, through
  :func:`jtcse.encoding.load_pooled_model` (three passes);
- ``tower``, ``joint``, ``distillation``, ``mlm``: ``--steps`` steps of tower training (tower 1),
  joint training (JTCSE, n = 3), distillation (teacher rows: random unit vectors, which cost
  the step nothing) and the masked-language-model pretraining of the regime study, each
  through :func:`jtcse.training.loop.train`, the loop every stage runs (the first lines of the
  corpus; no evaluation, one checkpoint at the end).

Each job runs in three fresh processes, one after the other: ``eager`` (compile off),
``cold`` (compile on, an empty inductor cache folder) and ``warm`` (compile on, the folder
the cold process filled). Per process: the steady time of one item (the median of the last
half of the steps or passes) and the excess of the whole run over that
steady time. The compile cost C is the compiled process's excess less the eager one's (a
first step is slow compiled or not), and the break-even N* = C / (t_eager - t_compiled)
items (sentences or steps): a job of N items gains N (t_eager - t_compiled) - C seconds.

Quality, same job, same seed: the STS-7 average of both encoders (target within 0.05), and
for training the largest loss difference between eager and compiled over the same steps
(inductor draws dropout from eager's generator, so the masks agree; what differs is rounding).

Printed and written to ``benchmarks/results/compile_break_even.json``. Run from the project
root on an otherwise idle machine (about 15 minutes on 2 cores)::

    python benchmarks/compile_break_even.py --steps 16
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from corpus_arguments import add_model_and_corpus_arguments, corpus_path, first_sentences
from jtcse.atomic import write_json_atomic
from jtcse.modeling.compiling import CACHE_VARIABLE
from jtcse.reporting.results_pages.machines import cpu_description

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RESULTS = PROJECT_ROOT / "benchmarks" / "results" / "compile_break_even.json"
JOBS = ("encode", "tower", "joint", "distillation", "mlm")
PROCESSES = {"eager": "off", "cold": "on", "warm": "on"}


def chain_parameters() -> dict:
    """The parameters of ``conf/base`` as a ``kedro run`` reads them."""
    from kedro.config import OmegaConfigLoader

    loader = OmegaConfigLoader(str(PROJECT_ROOT / "conf"), base_env="base", default_run_env="base")
    return loader["parameters"]


def encode_job(compile: str) -> dict:
    """Three passes over the STS-7 sentences; seconds of each, and the STS-7 average."""
    from jtcse.data.senteval import EVALUATION_SPLITS, read_sts_tasks
    from jtcse.encoding import load_pooled_model
    from jtcse.evaluation.sts import evaluate_sts
    from jtcse.evaluation.suite import evaluation_sentences
    from jtcse.paths import senteval_root

    table = read_sts_tasks(senteval_root(), splits=EVALUATION_SPLITS)
    sentences = evaluation_sentences(table)
    row_of = {sentence: row for row, sentence in enumerate(sentences)}
    base = chain_parameters()["tower_training"]["base_model"]
    encoder = load_pooled_model(base, "cls", bf16="auto", compile=compile)
    seconds = []
    for _ in range(3):
        start = time.perf_counter()
        vectors = encoder.encode(sentences, 128)
        seconds.append(time.perf_counter() - start)
    score = evaluate_sts(table, lambda batch: vectors[[row_of[x] for x in batch]]).scores["avg"]
    return {"items": len(sentences), "seconds": seconds, "sts7_avg": score}


def training_job(job: str, compile: str, steps: int, corpus: Path, model: str) -> dict:
    """``steps`` steps of one stage through the training loop; each step's seconds and loss."""
    import dataclasses

    import numpy as np
    import torch
    from transformers import AutoTokenizer

    from jtcse.modeling.loading import load_model_and_tokenizer, load_pretrained_model
    from jtcse.modeling.names import resolve_model_path
    from jtcse.modeling.precision import attention_implementation, resolve_bf16
    from jtcse.modeling.twin_tower import TwinTowerModel
    from jtcse.modeling.twin_tower_config import TwinTowerConfig
    from jtcse.parameters import (
        distillation_run_settings,
        joint_run_settings,
        mlm_settings,
        tower_run_settings,
    )
    from jtcse.training.batching import sentence_collator
    from jtcse.training.distillation import student_loss
    from jtcse.training.joint import joint_training_loss
    from jtcse.training.loop import train
    from jtcse.training.mlm import SparseMaskedLm, build_model, masked_lm_loss, mlm_collator
    from jtcse.training.run import model_overrides
    from jtcse.training.towers import tower_loss

    parameters = chain_parameters()
    if job == "tower":
        config, settings = tower_run_settings(parameters["tower_training"], "tower_1")
        overrides = model_overrides(settings.dropout, config.bf16)
        network, tokenizer = load_model_and_tokenizer(model, **overrides)
        collate = sentence_collator(tokenizer, settings.max_length, views=2)
        loss_fn = tower_loss(settings)
    elif job == "joint":
        config, settings = joint_run_settings(parameters["jtcse_training"], "jtcse")
        coupling = TwinTowerConfig(settings.num_cross_attention_layers, settings.coupling, job)
        overrides = model_overrides(settings.dropout, config.bf16)
        towers = [load_pretrained_model(model, **overrides) for _ in range(2)]
        network = TwinTowerModel(*towers, coupling)
        tokenizer = AutoTokenizer.from_pretrained(resolve_model_path(model))
        collate = sentence_collator(tokenizer, settings.max_length, views=2)
        loss_fn = joint_training_loss(settings)
    elif job == "distillation":
        config, settings = distillation_run_settings(parameters["distillation"])
        overrides = model_overrides(settings.dropout, config.bf16)
        network, tokenizer = load_model_and_tokenizer(model, **overrides)
        width = int(network.config.hidden_size)
        rows = config.batch_size * steps
        teacher = torch.nn.functional.normalize(torch.randn(rows, width), dim=1)
        tokenize = sentence_collator(tokenizer, settings.max_length, views=1)
        row_of: dict[str, int] = {}

        def collate(sentences: list[str]) -> dict[str, torch.Tensor]:
            rows = torch.tensor([row_of[sentence] for sentence in sentences])
            return tokenize(sentences) | {"rows": rows}

        loss_fn = student_loss(teacher, settings)
    else:
        config, settings = mlm_settings(parameters["mlm_pretraining"])
        tokenizer = AutoTokenizer.from_pretrained(resolve_model_path(model))
        attention = attention_implementation(resolve_bf16(config.bf16))
        network = SparseMaskedLm(build_model(settings, tokenizer, attention))
        collate = mlm_collator(tokenizer, settings.max_length, settings.mask_probability)
        loss_fn = masked_lm_loss
    sentences = first_sentences(corpus, config.batch_size * steps)
    if job == "distillation":
        row_of.update((sentence, row) for row, sentence in enumerate(sentences))
    config = dataclasses.replace(
        config,
        num_epochs=None,
        max_steps=steps,
        warmup_steps=0,
        log_every=1,
        eval_every=10**9,
        checkpoint_every=10**9,
    )
    stamps = [time.perf_counter()]
    with tempfile.TemporaryDirectory() as checkpoints:
        result = train(
            network,
            sentences,
            collate,
            loss_fn,
            config,
            Path(checkpoints),
            log_metrics=lambda metrics, step: stamps.append(time.perf_counter()),
            resume=False,
            description=job,
            compile=compile,
        )
    return {
        "items": steps,
        "seconds": np.diff(stamps).tolist(),
        "losses": [entry["loss"] for entry in result.metric_history],
    }


def run_process(job: str, process: str, cache: Path, args: argparse.Namespace) -> dict:
    """One job in a fresh process (this script with ``--worker``); its JSON result."""
    command = [sys.executable, __file__, "--worker", job, "--compile", PROCESSES[process]]
    command += ["--steps", str(args.steps), "--model", args.model, "--corpus", str(args.corpus)]
    environment = {**os.environ, CACHE_VARIABLE: str(cache)}
    environment.pop("JTCSE_COMPILE", None)
    finished = subprocess.run(
        command, cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True
    )
    if finished.returncode != 0:
        raise RuntimeError(f"{job} {process} failed:\n{finished.stderr[-3000:]}")
    return json.loads(finished.stdout.strip().splitlines()[-1])


def summary(job: str, runs: dict[str, dict]) -> dict:
    """Steady item seconds, compile cost (cold, warm), speed-up and break-evens of one job."""
    steady, excess = {}, {}
    for process, run in runs.items():
        seconds = run["seconds"]
        steady[process] = statistics.median(seconds[len(seconds) // 2 :]) / (
            run["items"] if job == "encode" else 1
        )
        per_pass = run["items"] if job == "encode" else 1
        excess[process] = sum(seconds) - steady[process] * per_pass * len(seconds)
    compiled = statistics.mean([steady["cold"], steady["warm"]])
    saving = steady["eager"] - compiled
    result = {
        "eager_seconds_per_item": steady["eager"],
        "compiled_seconds_per_item": compiled,
        "speedup": steady["eager"] / compiled,
        "compile_seconds": {p: excess[p] - excess["eager"] for p in ("cold", "warm")},
    }
    result["break_even_items"] = {
        p: (cost / saving if saving > 0 else None) for p, cost in result["compile_seconds"].items()
    }
    if job == "encode":
        result["sts7_avg"] = {p: run["sts7_avg"] for p, run in runs.items()}
    else:
        result["max_loss_difference"] = max(
            abs(a - b)
            for process in ("cold", "warm")
            for a, b in zip(runs["eager"]["losses"], runs[process]["losses"], strict=True)
        )
    return result


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_model_and_corpus_arguments(parser)
    parser.add_argument("--steps", type=int, default=16, help="training steps per process")
    parser.add_argument("--jobs", nargs="+", choices=JOBS, default=list(JOBS))
    parser.add_argument("--worker", choices=JOBS, help=argparse.SUPPRESS)
    parser.add_argument("--compile", choices=("on", "off"), help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    args.corpus = corpus_path(parser, args.corpus)
    return args


def main() -> None:
    args = parse_args()
    if args.worker:
        if args.worker == "encode":
            result = encode_job(args.compile)
        else:
            result = training_job(args.worker, args.compile, args.steps, args.corpus, args.model)
        print(json.dumps(result))
        return
    results = {}
    for job in args.jobs:
        with tempfile.TemporaryDirectory() as cache:
            runs = {process: run_process(job, process, Path(cache), args) for process in PROCESSES}
        results[job] = {"runs": runs, **summary(job, runs)}
        item = "sentences" if job == "encode" else "steps"
        print(
            f"{job}: x{results[job]['speedup']:.2f} compiled; compile "
            f"{results[job]['compile_seconds']['cold']:.0f} s cold, "
            f"{results[job]['compile_seconds']['warm']:.0f} s warm; break-even "
            + ", ".join(
                f"{p} {n:.0f} {item}" if n is not None else f"{p} never"
                for p, n in results[job]["break_even_items"].items()
            ),
            flush=True,
        )
    write_json_atomic(
        args.output,
        {
            "benchmark": "compile_break_even",
            "model": args.model,
            "steps": args.steps,
            "cpu": cpu_description(),
            "jobs": results,
        },
    )
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
