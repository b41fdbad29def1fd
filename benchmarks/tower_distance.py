"""How far apart two towers are, and how much cross-attention can change them: whether the
coupling of JTCSE has anything to act on.

Value-swap cross-attention replaces a tower's values V_1 by the other tower's V_2 in the
cross-attention layers; when the two towers are near copies, V_2 ~ V_1 and the coupled pass
equals each tower alone. For each pair of tower folders this measures, side by side:

- ``weight_distance``: ||W_1 - W_2|| / ||W_1|| over every transformer-layer tensor (the
  embeddings and the pooler left out), a share;
- ``tower_gap``: mean over sentences of ||h_1 - h_2|| / ||h_1||, the [CLS] states of the two
  towers each alone;
- ``coupling_effect``: mean over sentences and both towers of ||h_k^coupled - h_k|| / ||h_k||,
  the [CLS] state of tower k coupled (``n`` cross-attention layers, value swap) against alone;

on the first ``--sentences`` distinct sentences of STS-B dev, fp32.

    python benchmarks/tower_distance.py \
        --pair chain=data/06_models/tower_1,data/06_models/tower_2 \
        --pair chain_jtcse=data/06_models/jtcse_tower_1,data/06_models/jtcse_tower_2 \
        --output benchmarks/results/tower_distance.json

A pair's towers must share the architecture and the tokenizer (tower 1's is used).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file
from transformers import AutoTokenizer

from jtcse.atomic import write_json_atomic
from jtcse.data.senteval import read_sts_tasks
from jtcse.modeling.twin_tower import TwinTowerModel
from jtcse.reporting.results_pages.machines import cpu_description

DEFAULT_PAIRS = (
    "chain_towers=data/06_models/tower_1,data/06_models/tower_2",
    "chain_jtcse=data/06_models/jtcse_tower_1,data/06_models/jtcse_tower_2",
)


def layer_tensors(folder: Path) -> dict[str, torch.Tensor]:
    """The transformer-layer tensors of a model folder's ``model.safetensors``, named without
    the task head's prefix (``bert.``), float32."""
    weights = load_file(str(folder / "model.safetensors"))
    return {
        name.removeprefix("bert."): tensor.float()
        for name, tensor in weights.items()
        if ".layer." in name and name.removeprefix("bert.").startswith("encoder.")
    }


def weight_distance(folder_1: Path, folder_2: Path) -> float:
    """||W_1 - W_2|| / ||W_1|| over the layer tensors the two folders share."""
    first, second = layer_tensors(folder_1), layer_tensors(folder_2)
    names = sorted(first.keys() & second.keys())
    if not names:
        raise SystemExit(f"{folder_1} and {folder_2} share no transformer-layer tensor")
    squared_gap = sum(float((first[n] - second[n]).square().sum()) for n in names)
    squared_norm = sum(float(first[n].square().sum()) for n in names)
    return (squared_gap / squared_norm) ** 0.5


def relative_gap(a: torch.Tensor, b: torch.Tensor) -> float:
    """Mean over rows of ||a - b|| / ||b||."""
    return float(((a - b).norm(dim=1) / b.norm(dim=1)).mean())


@torch.inference_mode()
def output_gaps(
    folder_1: Path, folder_2: Path, sentences: list[str], n: int, batch_size: int
) -> dict[str, float]:
    """``tower_gap`` and ``coupling_effect`` (see the module) of one pair."""
    model = TwinTowerModel.from_towers(folder_1, folder_2, num_cross_attention_layers=n).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder_1)
    alone: list[list[torch.Tensor]] = [[], []]
    coupled: list[list[torch.Tensor]] = [[], []]
    for start in range(0, len(sentences), batch_size):
        batch = tokenizer(
            sentences[start : start + batch_size], padding=True, truncation=True,
            return_tensors="pt",
        )  # fmt: skip
        output = model(batch["input_ids"], batch["attention_mask"])
        coupled[0].append(output.cls_1)
        coupled[1].append(output.cls_2)
        for k, tower in enumerate((model.tower_1, model.tower_2)):
            states = tower(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
            alone[k].append(states.last_hidden_state[:, 0])
    alone_rows = [torch.cat(rows) for rows in alone]
    coupled_rows = [torch.cat(rows) for rows in coupled]
    effects = [relative_gap(coupled_rows[k], alone_rows[k]) for k in (0, 1)]
    return {
        "tower_gap": relative_gap(alone_rows[1], alone_rows[0]),
        "coupling_effect": sum(effects) / 2,
    }


def sts_b_dev_sentences(data_root: Path, count: int) -> list[str]:
    """The first ``count`` distinct sentences of STS-B dev, in file order."""
    table = read_sts_tasks(data_root / "senteval", ["STSBenchmark"], ["dev"])
    distinct = dict.fromkeys(
        sentence
        for pair in zip(table["sentence1"], table["sentence2"], strict=True)
        for sentence in pair
    )
    return list(distinct)[:count]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--pair", action="append", help="NAME=TOWER_1,TOWER_2 (repeatable; default: the chain's)"
    )
    parser.add_argument("--data-root", type=Path, default=Path(os.environ.get(
        "JTCSE_DATA_ROOT", "../shared/data")))  # fmt: skip
    parser.add_argument("--sentences", type=int, default=512)
    parser.add_argument("--cross-attention-layers", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--output", type=Path, default=Path("benchmarks/results/tower_distance.json")
    )
    args = parser.parse_args(argv)
    sentences = sts_b_dev_sentences(args.data_root, args.sentences)
    pairs = {}
    for entry in args.pair or DEFAULT_PAIRS:
        name, _, folders = entry.partition("=")
        folder_1, _, folder_2 = folders.partition(",")
        if not (name and folder_1 and folder_2):
            raise SystemExit(f"--pair {entry!r}: expected NAME=TOWER_1,TOWER_2")
        first, second = Path(folder_1), Path(folder_2)
        pairs[name] = {
            "tower_1": folder_1,
            "tower_2": folder_2,
            "weight_distance": weight_distance(first, second),
            **output_gaps(first, second, sentences, args.cross_attention_layers, args.batch_size),
        }
        print(
            f"{name}: weights {pairs[name]['weight_distance']:.2e}, towers alone "
            f"{pairs[name]['tower_gap']:.2e}, coupled vs alone {pairs[name]['coupling_effect']:.2e}"
        )
    result = {
        "sentences": len(sentences),
        "cross_attention_layers": args.cross_attention_layers,
        "coupling": "value_swap",
        "cpu": cpu_description(),
        "pairs": pairs,
    }
    write_json_atomic(args.output, result)
    print(f"wrote {args.output}")
    return result


if __name__ == "__main__":
    main()
