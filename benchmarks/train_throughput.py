"""Training throughput of one JTCSE joint-training step and one tower step: a naive baseline,
our previous step and ours.

All variants train the same base model on the same batches of 64 sentences (the first
``64 * --batches`` lines of the training corpus, cut into distinct batches) with AdamW, and
each step does tokenisation, forward, loss, backward and the optimiser step; each sentence is
encoded twice (two dropout views, 128 rows per tower).

(a) ``naive``: the published code's choices, written out below. Two separate towers (two
    ``AutoModel`` copies, no cross-attention), every sequence padded to ``max_length`` 64,
    float32, cosine matrices built as ``B x B x H`` tensors with ``F.cosine_similarity``, the
    diagonal masked by subtracting 1e12, the tensor-modulus term as a Python loop over the
    sentences with a host sync (``.item()``) per sentence. Loss = InfoNCE(tower 1) +
    InfoNCE(tower 2) + cross-tower InfoNCE + modulus terms in both directions.
(b) ``ours``: :class:`jtcse.modeling.twin_tower.TwinTowerModel` with n cross-attention
    layers, per-batch padding (:func:`jtcse.training.sentence_collator`) with the batch run in
    length-sorted chunks (:func:`jtcse.modeling.chunking.forward_in_length_chunks`, as in
    training), bf16 autocast, and the joint loss of training
    (:func:`jtcse.training.joint.joint_loss`: ``info_nce`` per tower, ``cross_info_nce`` on
    the final and on the intermediate [CLS] vectors, ``modulus_loss`` in both directions),
    with the kernels training runs: the attention of
    :func:`jtcse.modeling.precision.attention_implementation` (eager for bfloat16 on a CPU) and
    AdamW from :func:`jtcse.training.loop.adamw` (torch's fused kernel).
(c) ``ours_previous``: (b) with the kernels before them: SDPA attention and AdamW's
    per-parameter loop.
(d) ``tower`` and ``tower_previous``: one tower's step of tower training (one ``AutoModel``,
    :func:`jtcse.training.towers.tower_loss`), with the kernels of (b) and of (c).

After one warm-up step each, ``--steps`` measured steps per variant run interleaved (naive,
ours, naive, ours, ...) because the machine is shared and noisy; the median step time gives
sentences/s = 64 / seconds. Printed and written to ``benchmarks/results/train_throughput.json``:
each variant's sentences/s, the ratio ours / naive (target >= 4x) and each stage's ratio to
its previous step (target >= 1.4x). Compiled steps of every training stage against eager ones
are ``benchmarks/compile_break_even.py``'s.

Run from the project root (a few minutes on 2 CPU cores)::

    python benchmarks/train_throughput.py --steps 8
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor
from transformers import AutoModel, AutoTokenizer, PreTrainedTokenizerBase

from corpus_arguments import add_model_and_corpus_arguments, corpus_path, first_sentences
from jtcse.atomic import write_json_atomic
from jtcse.losses import joint_loss
from jtcse.modeling.chunking import forward_in_length_chunks
from jtcse.modeling.loading import resolve_model_path
from jtcse.modeling.precision import attention_implementation
from jtcse.modeling.twin_tower import TwinTowerModel
from jtcse.modeling.twin_tower_config import TwinTowerConfig
from jtcse.reporting.results_pages.machines import cpu_description
from jtcse.training import JointSettings, TowerSettings, TrainingConfig, sentence_collator
from jtcse.training.loop import adamw
from jtcse.training.towers import tower_loss

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = PROJECT_ROOT / "benchmarks" / "results"
BATCH_SIZE = 64  # sentences per step (the published setting)
MAX_LENGTH = 64  # tokens
TEMPERATURE = 0.05
LEARNING_RATE = 1.3e-6  # published BERT-base joint-training rate (docs/method.md#hyper-parameters)
WEIGHT_DECAY = 0.01
LENGTH_CHUNKS = JointSettings().length_chunks  # as in training
NEGATIVE_COSINE_CONSTANT = 1e-4

# A training step: (sentences, anchor tower a in {1, 2}) -> detached loss value.
Step = Callable[[list[str], int], float]


def naive_info_nce(anchors: Tensor, candidates: Tensor) -> Tensor:
    """InfoNCE as the published code builds it: a ``B x B x H`` cosine tensor, the diagonal
    pushed down by subtracting 1e12, targets pi(i) = i xor 1."""
    rows = anchors.shape[0]
    similarities = F.cosine_similarity(anchors.unsqueeze(1), candidates.unsqueeze(0), dim=-1)
    logits = similarities / TEMPERATURE - torch.eye(rows) * 1e12
    return F.cross_entropy(logits, torch.arange(rows) ^ 1)


def naive_modulus_loss(cls_a: Tensor, cls_b: Tensor, pooled_a: Tensor, pooled_b: Tensor) -> Tensor:
    """LTN(a -> b) as the published code computes it: one sentence at a time in Python.

    For even row i and its positive i + 1 of the other tower: c = cos(h^a_i, h^b_{i+1}),
    replaced by 1e-4 when negative (read on the host: one sync per sentence); with
    k = |p^b_{i+1}| / |p^a_i| and t = cos(p^a_i, p^b_{i+1}), M = sqrt(1 + k^2 - 2kt) / (1 + k)
    / 2; the loss is the mean of -log(c) * M.
    """
    total = torch.zeros(())
    sentences = cls_a.shape[0] // 2
    for sentence in range(sentences):
        anchor, positive = 2 * sentence, 2 * sentence + 1
        cosine = F.cosine_similarity(cls_a[anchor], cls_b[positive], dim=0)
        if cosine.item() < 0:
            cosine = torch.tensor(NEGATIVE_COSINE_CONSTANT)
        ratio = pooled_b[positive].norm() / pooled_a[anchor].norm()
        pooled_cosine = F.cosine_similarity(pooled_a[anchor], pooled_b[positive], dim=0)
        distance = torch.sqrt(1 + ratio**2 - 2 * ratio * pooled_cosine) / (1 + ratio) / 2
        total = total + -torch.log(cosine) * distance
    return total / sentences


def naive_step(model_path: str, tokenizer: PreTrainedTokenizerBase) -> Step:
    """Variant (a): two float32 towers, fixed padding to 64 tokens, the naive losses."""
    towers = [AutoModel.from_pretrained(model_path).train() for _ in range(2)]
    parameters = [parameter for tower in towers for parameter in tower.parameters()]
    optimizer = torch.optim.AdamW(parameters, lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)

    def step(sentences: list[str], anchor_tower: int) -> float:
        doubled = [sentence for sentence in sentences for _ in range(2)]
        batch = tokenizer(
            doubled,
            padding="max_length",
            truncation=True,
            max_length=MAX_LENGTH,
            return_tensors="pt",
        )
        outputs = [tower(**batch) for tower in towers]
        cls = [output.last_hidden_state[:, 0] for output in outputs]
        pooled = [output.pooler_output for output in outputs]
        a, b = anchor_tower - 1, 2 - anchor_tower
        loss = (
            naive_info_nce(cls[0], cls[0])
            + naive_info_nce(cls[1], cls[1])
            + naive_info_nce(cls[a], cls[b])
            + naive_modulus_loss(cls[0], cls[1], pooled[0], pooled[1])
            + naive_modulus_loss(cls[1], cls[0], pooled[1], pooled[0])
        )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def attention(previous: bool) -> str:
    """The attention kernel of our step (``previous``: SDPA, the kernel before)."""
    return "sdpa" if previous else attention_implementation(True)


def optimizer(parameters: list[torch.nn.Parameter], previous: bool) -> torch.optim.Optimizer:
    """AdamW of our step (``previous``: AdamW's per-parameter loop, the implementation before)."""
    if previous:
        return torch.optim.AdamW(
            parameters, lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY, foreach=False
        )
    config = TrainingConfig(
        learning_rate=LEARNING_RATE,
        batch_size=BATCH_SIZE,
        weight_decay=WEIGHT_DECAY,
        weight_decay_scope="all",
    )
    return adamw(parameters, config)


def our_step(
    model_path: str, tokenizer: PreTrainedTokenizerBase, cross_attention_layers: int, previous: bool
) -> tuple[Step, list[int]]:
    """Variant (b), or (c) with ``previous``: the twin-tower model, per-batch padding, bf16
    autocast, jtcse.losses.

    Also returns a list that collects each step's padded length (tokens).
    """
    model = TwinTowerModel(
        AutoModel.from_pretrained(model_path, attn_implementation=attention(previous)),
        AutoModel.from_pretrained(model_path, attn_implementation=attention(previous)),
        TwinTowerConfig(num_cross_attention_layers=cross_attention_layers),
    ).train()
    adam = optimizer(list(model.parameters()), previous)
    collate = sentence_collator(tokenizer, MAX_LENGTH, views=2)
    padded_lengths: list[int] = []

    def step(sentences: list[str], anchor_tower: int) -> float:
        batch = collate(sentences)
        padded_lengths.append(int(batch["input_ids"].shape[1]))
        with torch.autocast("cpu", dtype=torch.bfloat16):
            output = forward_in_length_chunks(
                model, batch["input_ids"], batch["attention_mask"], LENGTH_CHUNKS
            )
            loss = joint_loss(output, JointSettings(), anchor_tower)["loss"]
        adam.zero_grad(set_to_none=True)
        loss.backward()
        adam.step()
        return loss.item()

    return step, padded_lengths


def tower_step(model_path: str, tokenizer: PreTrainedTokenizerBase, previous: bool) -> Step:
    """Variant (d): one tower's step of tower training (the anchor tower is not read)."""
    model = AutoModel.from_pretrained(model_path, attn_implementation=attention(previous))
    model.train()
    adam = optimizer(list(model.parameters()), previous)
    collate = sentence_collator(tokenizer, MAX_LENGTH, views=2)
    loss_fn = tower_loss(TowerSettings(max_length=MAX_LENGTH))

    def step(sentences: list[str], anchor_tower: int) -> float:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = loss_fn(model, collate(sentences))["loss"]
        adam.zero_grad(set_to_none=True)
        loss.backward()
        adam.step()
        return loss.item()

    return step


def read_batches(corpus: Path, count: int) -> list[list[str]]:
    """The first ``BATCH_SIZE * count`` non-empty lines of ``corpus`` as ``count`` batches."""
    sentences = first_sentences(corpus, BATCH_SIZE * count)
    return [sentences[i : i + BATCH_SIZE] for i in range(0, len(sentences), BATCH_SIZE)]


def timed(step: Step, sentences: list[str], anchor_tower: int) -> tuple[float, float]:
    """Run one step; return (seconds, loss)."""
    start = time.perf_counter()
    loss = step(sentences, anchor_tower)
    return time.perf_counter() - start, loss


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_model_and_corpus_arguments(parser)
    parser.add_argument("--cross-attention-layers", type=int, default=3, help="n; divides L")
    parser.add_argument("--steps", type=int, default=3, help="measured steps per variant")
    parser.add_argument("--batches", type=int, default=3, help="distinct batches of 64")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--target-ratio", type=float, default=4.0, help="ours / naive target")
    parser.add_argument(
        "--target-speedup", type=float, default=1.4, help="ours / previous target, per stage"
    )
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "train_throughput.json")
    args = parser.parse_args()
    for name in ("steps", "batches"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1; got {getattr(args, name)}")
    args.corpus = corpus_path(parser, args.corpus)
    return args


def main() -> None:
    args = parse_args()
    torch.manual_seed(args.seed)
    coin = random.Random(args.seed)
    model_path = resolve_model_path(args.model)
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    batches = read_batches(args.corpus, args.batches)
    layers = args.cross_attention_layers
    ours, padded_lengths = our_step(model_path, tokenizer, layers, previous=False)
    steps: dict[str, Step] = {
        "naive": naive_step(model_path, tokenizer),
        "ours_previous": our_step(model_path, tokenizer, layers, previous=True)[0],
        "ours": ours,
        "tower_previous": tower_step(model_path, tokenizer, previous=True),
        "tower": tower_step(model_path, tokenizer, previous=False),
    }

    warm_up = {}
    for name, step in steps.items():
        warm_up[name], _ = timed(step, batches[0], 1)
        print(f"warm-up {name}: {warm_up[name]:.2f} s", flush=True)
    padded_lengths.clear()
    seconds: dict[str, list[float]] = {name: [] for name in steps}
    losses: dict[str, list[float]] = {name: [] for name in steps}
    for index in range(args.steps):
        sentences, anchor_tower = batches[index % len(batches)], coin.choice((1, 2))
        for name, step in steps.items():
            elapsed, loss = timed(step, sentences, anchor_tower)
            seconds[name].append(elapsed)
            losses[name].append(loss)
            print(f"step {index + 1}/{args.steps} {name}: {elapsed:.2f} s, loss {loss:.4f}")

    throughput = {name: BATCH_SIZE / statistics.median(values) for name, values in seconds.items()}
    ratio = throughput["ours"] / throughput["naive"]
    meets = ratio >= args.target_ratio
    print()
    for name in steps:
        print(
            f"{name:>5}: {throughput[name]:7.1f} sentences/s "
            f"(median step {statistics.median(seconds[name]):.2f} s)"
        )
    print(
        f"ratio ours / naive: {ratio:.2f}x (target >= {args.target_ratio:.0f}x: "
        f"{'met' if meets else 'NOT met'})"
    )
    print(f"padded length: naive {MAX_LENGTH} tokens, ours {padded_lengths} tokens")
    over_previous = {
        "joint": throughput["ours"] / throughput["ours_previous"],
        "tower": throughput["tower"] / throughput["tower_previous"],
    }
    for stage, value in over_previous.items():
        print(f"{stage}: {value:.2f}x the previous step (target >= {args.target_speedup}x)")

    report = {
        "benchmark": "train_throughput",
        "model": args.model,
        "corpus": str(args.corpus),
        "batch_size_sentences": BATCH_SIZE,
        "rows_per_tower": 2 * BATCH_SIZE,
        "cross_attention_layers": args.cross_attention_layers,
        "measured_steps": args.steps,
        "distinct_batches": args.batches,
        "step_seconds": seconds,
        "losses": losses,
        "sentences_per_second": throughput,
        "ratio_ours_over_naive": ratio,
        "ratio_over_previous": over_previous,
        "target_ratio_over_previous": args.target_speedup,
        "warm_up_seconds": warm_up,
        "target_ratio": args.target_ratio,
        "meets_target": meets,
        "padded_length_tokens": {"naive": MAX_LENGTH, "ours": padded_lengths},
        "cpu": cpu_description(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    write_json_atomic(args.output, report)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
