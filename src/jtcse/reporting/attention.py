"""The [CLS] attention mass of tower pairs, layer by layer, with and without cross-attention.

JTCSE motivates its cross-attention by "attention sinking": BERT-like encoders give the [CLS]
token too little attention (docs/method.md#cross-attention). For layer l of tower k the mass is

    m_k(l) = mean over heads h and over every non-padding query token q of the N sentences of
             A_k^(l)[h, q, 0],

the attention probability (a share in [0, 1]) that query q puts on the [CLS] key. A pair is
measured twice: each tower alone (no cross-attention, n = 0) and coupled as in joint training
(:class:`~jtcse.modeling.twin_tower.TwinTowerModel` with n cross-attention layers). The
probabilities come from the twin-tower model's own forward pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from transformers import AutoTokenizer, PreTrainedTokenizerBase

from jtcse.encoding import max_tokens
from jtcse.evaluation.sts import dev_pairs
from jtcse.modeling.device import default_device
from jtcse.modeling.precision import resolve_bf16
from jtcse.modeling.twin_tower import TwinTowerModel

MODES = ("alone", "coupled")


def stsb_dev_sentences(sts_pairs: pd.DataFrame, num_sentences: int) -> list[str]:
    """The first ``num_sentences`` distinct sentences of the scored STS-B dev pairs (sentence1,
    then sentence2 of each pair, in table order); all of them when there are fewer."""
    if num_sentences < 1:
        raise ValueError(f"num_sentences must be at least 1; got {num_sentences}")
    pairs = dev_pairs(sts_pairs)
    in_order = (
        sentence
        for pair in zip(pairs["sentence1"], pairs["sentence2"], strict=True)
        for sentence in pair
    )
    return list(dict.fromkeys(in_order))[:num_sentences]


@torch.no_grad()
def batch_cls_attention_mass(
    model: TwinTowerModel, input_ids: torch.Tensor, attention_mask: torch.Tensor
) -> torch.Tensor:
    """[2, layers] float32: m_k(l) of one batch (mean over heads and non-padding queries), as
    the model measures it with ``return_attention_mass=True``."""
    output = model(input_ids, attention_mask, return_attention_mass=True)
    return torch.stack([output.cls_attention_mass_1, output.cls_attention_mass_2]).float().cpu()


def pair_cls_attention_mass(
    model: TwinTowerModel,
    tokenizer: PreTrainedTokenizerBase,
    sentences: Sequence[str],
    batch_size: int = 32,
) -> np.ndarray:
    """[2, layers] m_k(l) over all ``sentences``: batch means weighted by their real tokens, so
    every non-padding query token of every sentence counts once."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1; got {batch_size}")
    if not sentences:
        raise ValueError("sentences must not be empty")
    device = model.tower_1.device
    limit = max_tokens(model.tower_1.config.max_position_embeddings, tokenizer)
    weighted, tokens = 0.0, 0
    for start in range(0, len(sentences), batch_size):
        batch = tokenizer(
            list(sentences[start : start + batch_size]),
            padding=True,
            truncation=True,
            max_length=limit,
            return_tensors="pt",
        )
        mask = batch["attention_mask"].to(device)
        count = int(mask.sum())
        weighted = weighted + count * batch_cls_attention_mass(
            model, batch["input_ids"].to(device), mask
        )
        tokens += count
    return (weighted / tokens).numpy().astype(float)


def compare_cls_attention_mass(
    pairs: Mapping[str, tuple[str | Path, str | Path]],
    sentences: Sequence[str],
    num_cross_attention_layers: int,
    coupling: str = "value_swap",
    bf16: bool | str = False,
    batch_size: int = 32,
) -> dict:
    """m_k(l) of every tower pair, alone (n = 0) and coupled (n cross-attention layers).

    Args:
        pairs: name -> (tower_1 folder, tower_2 folder); the towers share one tokenizer.
        sentences: the sentences to measure on.
        num_cross_attention_layers: n of the coupled mode (it must divide the layer count).
        coupling: the coupling switch of the coupled mode (see ``twin_tower_config.COUPLINGS``).
        bf16: run the towers in bfloat16 (true, false or auto; masses are averaged in
            float32).
        batch_size: sentences per forward pass.

    Returns:
        JSON-ready: ``sentences`` (N), ``layers`` (1-indexed), ``coupling``,
        ``cross_attention_layers`` (1-indexed) and ``mass[pair][mode][tower]``: one share in
        [0, 1] per layer, with ``mode`` in :data:`MODES` and ``tower`` ``tower_1``/``tower_2``.
    """
    if not pairs:
        raise ValueError("pairs must name at least one tower pair")
    bf16 = resolve_bf16(bf16, "reporting.cls_attention_mass.bf16")
    dtype = torch.bfloat16 if bf16 else torch.float32
    mass: dict[str, dict[str, dict[str, list[float]]]] = {}
    for name, (tower_1, tower_2) in pairs.items():
        tokenizer = AutoTokenizer.from_pretrained(str(tower_1))
        mass[name] = {}
        for mode, layers in zip(MODES, (0, num_cross_attention_layers), strict=True):
            model = TwinTowerModel.from_towers(tower_1, tower_2, layers, coupling)
            model = model.eval().to(device=default_device(), dtype=dtype)
            per_layer = pair_cls_attention_mass(model, tokenizer, sentences, batch_size)
            mass[name][mode] = {"tower_1": per_layer[0].tolist(), "tower_2": per_layer[1].tolist()}
    return {
        "sentences": len(sentences),
        "layers": list(range(1, per_layer.shape[1] + 1)),
        "coupling": coupling,
        "cross_attention_layers": [index + 1 for index in model.cross_attention_layers],
        "mass": mass,
    }


def attention_mass_table(result: Mapping) -> pd.DataFrame:
    """The output of :func:`compare_cls_attention_mass` as a tidy table: one row per pair, mode,
    tower and layer (columns ``pair, mode, tower, layer, mass``)."""
    rows = [
        (pair, mode, tower, layer, value)
        for pair, modes in result["mass"].items()
        for mode, towers in modes.items()
        for tower, values in towers.items()
        for layer, value in zip(result["layers"], values, strict=True)
    ]
    return pd.DataFrame(rows, columns=["pair", "mode", "tower", "layer", "mass"])
