"""PyTorch encoders: one model or the sum of several (an ensemble), and the coupled twin.

An :class:`Encoder` wraps one model folder (or Hub id), or several whose embeddings are summed:
the twin-tower ensemble e(x) = h1(x) + h2(x) of JTCSE, each tower encoding alone (the published
protocol). :class:`CoupledTwinEncoder` runs the two towers together with the cross-attention of
joint training, e(x) = h1_CLS + h2_CLS (METHOD.md section 1.3).

Example:
    >>> encoder = Encoder.load(["data/06_models/tower_1", "data/06_models/tower_2"])
    >>> vectors = encoder.encode(["a man plays a guitar .", "a woman slices an onion ."])
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from transformers import AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from jtcse.encoding.base import BaseEncoder, TokenizedEncoder, max_tokens
from jtcse.modeling.loading import default_device, load_model_and_tokenizer, resolve_model_path
from jtcse.modeling.pooling import check_pooling, pool
from jtcse.modeling.twin_tower import TwinTowerModel


def _dtype(bf16: bool) -> torch.dtype:
    return torch.bfloat16 if bf16 else torch.float32


class PooledModelEncoder(TokenizedEncoder):
    """One Hugging Face encoder and a pooling of its outputs (``cls``, ``mean``, ...: see
    :mod:`jtcse.modeling.pooling`), pooled in float32 whatever the model's precision."""

    def __init__(
        self, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, pooling: str
    ) -> None:
        super().__init__(tokenizer, max_tokens(model.config.max_position_embeddings, tokenizer))
        self.model = model
        self.pooling = check_pooling(pooling)

    @property
    def dimension(self) -> int:
        return int(self.model.config.hidden_size)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        outputs = self.model(**{k: v.to(self.model.device) for k, v in batch.items()})
        pooler_output = getattr(outputs, "pooler_output", None)
        return pool(
            outputs.last_hidden_state.float(),
            batch["attention_mask"],
            self.pooling,
            None if pooler_output is None else pooler_output.float(),
        )


class Encoder(BaseEncoder):
    """Sentence encoder over one model or the sum of several (an ensemble).

    With ``bf16`` the models' weights are cast to bfloat16 (about 3x faster than fp32 on CPUs
    with native bfloat16; ``benchmarks/eval_speed.py`` measures the speed and the STS
    difference); pooling and the returned vectors are float32. The models are put in eval
    mode. Members may have their own tokenizers but must share the embedding width.
    """

    def __init__(
        self,
        members: Sequence[tuple[PreTrainedModel, PreTrainedTokenizerBase]],
        pooling: str = "cls",
        bf16: bool = False,
    ) -> None:
        if not members:
            raise ValueError("an Encoder needs at least one model")
        self.members = [
            PooledModelEncoder(model.eval().to(_dtype(bf16)), tokenizer, pooling)
            for model, tokenizer in members
        ]
        widths = sorted({member.dimension for member in self.members})
        if len(widths) > 1:
            raise ValueError(f"ensemble members must share the embedding width; got {widths}")
        self.pooling = self.members[0].pooling
        self.bf16 = bf16

    @classmethod
    def load(
        cls, paths: str | Path | Sequence[str | Path], pooling: str = "cls", bf16: bool = False
    ) -> Encoder:
        """Load a model folder, Hub id or alias, or a list of them (embeddings summed).

        With ``bf16`` the models use eager attention: for short sentences it is faster in
        bfloat16 than the fused SDPA kernel on CPU (see ``benchmarks/eval_speed.py``).
        """
        names = [paths] if isinstance(paths, str | Path) else list(paths)
        options = {"attn_implementation": "eager"} if bf16 else {}
        return cls([load_model_and_tokenizer(name, **options) for name in names], pooling, bf16)

    @property
    def dimension(self) -> int:
        return self.members[0].dimension

    def embed(self, sentences: list[str], batch_size: int, show_progress: bool) -> np.ndarray:
        """The sum over members of each member's rows (each with its own tokenizer)."""
        total = np.zeros((len(sentences), self.dimension), dtype=np.float32)
        for member in self.members:
            total += member.embed(sentences, batch_size, show_progress)
        return total


class CoupledTwinEncoder(TokenizedEncoder):
    """The joint twin-tower model at inference, cross-attention on: e(x) = h1_CLS + h2_CLS.

    The published protocol encodes with each tower alone (an :class:`Encoder` over both
    folders); this coupled mode is reported beside it (METHOD.md section 1.3).
    """

    def __init__(
        self, model: TwinTowerModel, tokenizer: PreTrainedTokenizerBase, bf16: bool = False
    ) -> None:
        positions = model.tower_1.config.max_position_embeddings
        super().__init__(tokenizer, max_tokens(positions, tokenizer))
        self.model = model.eval().to(_dtype(bf16))

    @classmethod
    def load(
        cls,
        tower_1: str | Path,
        tower_2: str | Path,
        num_cross_attention_layers: int | None = None,
        coupling: str | None = None,
        bf16: bool = False,
    ) -> CoupledTwinEncoder:
        """Couple two tower folders (they must share the tokenizer) as in joint training.

        ``num_cross_attention_layers`` and ``coupling`` default to what joint training
        recorded (:class:`~jtcse.modeling.twin_tower_config.TwinTowerConfig`).
        """
        tower_1, tower_2 = resolve_model_path(tower_1), resolve_model_path(tower_2)
        model = TwinTowerModel.from_towers(tower_1, tower_2, num_cross_attention_layers, coupling)
        return cls(model.to(default_device()), AutoTokenizer.from_pretrained(tower_1), bf16)

    @property
    def dimension(self) -> int:
        return int(self.model.tower_1.config.hidden_size)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        device = self.model.tower_1.device
        output = self.model(batch["input_ids"].to(device), batch["attention_mask"].to(device))
        return output.cls_1.float() + output.cls_2.float()
