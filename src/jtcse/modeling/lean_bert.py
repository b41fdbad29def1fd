"""A BERT encoder for inference in plain PyTorch: the forward pass of a Hugging Face BERT
folder (``model_type: bert``) from its ``config.json`` and ``model.safetensors``, without
importing transformers' model classes (about 2 s of a command's start-up) and with the three
attention projections fused into one matrix product.

For token ids x (padded, attention mask m), hidden size H, A heads of width d = H / A:

    h_0 = LN(E_word[x_t] + E_pos[t] + E_type[0])
    per layer l = 1..L:
        [Q K V] = h W_qkv^T + b_qkv                          (one [3H, H] product)
        C = softmax(Q K^T / sqrt(d) + M) V  per head,  M = -inf on padding keys (m = 0)
        a = LN(h + C W_o^T + b_o)
        h = LN(a + gelu(a W_1^T + b_1) W_2^T + b_2)          (gelu: the exact erf form)
    pooler = tanh(h_L[CLS] W_p^T + b_p)

LN is LayerNorm with the config's ``layer_norm_eps``; dropout is absent (inference only). The
attention runs as ``scaled_dot_product_attention`` (``sdpa``: the fused kernel) or as the
explicit product above (``eager``). In float32 the last hidden states equal transformers'
``BertModel`` to float rounding (``tests/modeling/test_lean_bert.py``). Folders whose config
asks for anything else (relative positions, a decoder, another activation) are not
:func:`supported`: load them with transformers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from jtcse.modeling.folders import damaged_weights

ATTENTIONS = ("sdpa", "eager")
# Weight-name prefixes of the task heads' folders (BertForMaskedLM, ...): the encoder is below.
_ENCODER_PREFIX = "bert."


@dataclass(frozen=True)
class LeanBertConfig:
    """The fields of a BERT ``config.json`` the forward pass reads."""

    vocab_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    max_position_embeddings: int
    type_vocab_size: int
    layer_norm_eps: float

    @classmethod
    def from_dict(cls, config: dict[str, Any]) -> LeanBertConfig:
        return cls(**{name: config[name] for name in cls.__dataclass_fields__})


@dataclass
class LeanBertOutput:
    """What pooling reads: ``last_hidden_state`` [batch, tokens, H] and ``pooler_output``
    [batch, H] (None for a folder without pooler weights)."""

    last_hidden_state: torch.Tensor
    pooler_output: torch.Tensor | None


def unsupported_reason(config: dict[str, Any]) -> str | None:
    """Why the forward pass of this module differs from the folder's config (None: it does
    not): the model type, a decoder, the activation or relative position embeddings."""
    if config.get("model_type") != "bert":
        return f"model_type is {config.get('model_type')!r}, not 'bert'"
    if config.get("is_decoder") or config.get("add_cross_attention"):
        return "a decoder"
    if config.get("hidden_act", "gelu") != "gelu":
        return f"hidden_act is {config.get('hidden_act')!r}, not 'gelu'"
    if config.get("position_embedding_type") not in (None, "absolute"):
        return f"position_embedding_type is {config.get('position_embedding_type')!r}"
    return None


def supported(folder: str | Path) -> bool:
    """Whether ``folder`` holds a BERT this module runs exactly: a ``config.json`` without an
    :func:`unsupported_reason` and a ``model.safetensors``."""
    folder = Path(folder)
    config, weights = folder / "config.json", folder / "model.safetensors"
    if not (config.is_file() and weights.is_file()):
        return False
    return unsupported_reason(json.loads(config.read_text(encoding="utf-8"))) is None


class LeanBert(torch.nn.Module):
    """The forward pass of the module docstring over one folder's weights (eval mode only)."""

    def __init__(
        self, config: LeanBertConfig, weights: dict[str, torch.Tensor], attention: str = "sdpa"
    ) -> None:
        super().__init__()
        if attention not in ATTENTIONS:
            raise ValueError(f"attention must be one of {', '.join(ATTENTIONS)}; got {attention!r}")
        self.config, self.attention = config, attention
        self.heads = config.num_attention_heads
        self.word = torch.nn.Parameter(weights["embeddings.word_embeddings.weight"])
        self.position = torch.nn.Parameter(weights["embeddings.position_embeddings.weight"])
        # only token type 0: every input is one sentence
        self.token_type = torch.nn.Parameter(weights["embeddings.token_type_embeddings.weight"][0])
        self.embedding_norm = _layer_norm(weights, "embeddings.LayerNorm", config)
        self.layers = torch.nn.ModuleList(
            _Layer(weights, f"encoder.layer.{index}.", config)
            for index in range(config.num_hidden_layers)
        )
        self.pooler = (
            _named_linear(weights, "pooler.dense") if "pooler.dense.weight" in weights else None
        )

    @classmethod
    def load(
        cls, folder: str | Path, dtype: torch.dtype = torch.float32, attention: str = "sdpa"
    ) -> LeanBert:
        """The model of ``folder`` (ValueError naming the folder when not :func:`supported` or
        when its weights file does not parse), its weights cast to ``dtype``, in eval mode."""
        folder = Path(folder)
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        reason = unsupported_reason(config)
        if reason is not None:
            raise ValueError(f"{folder}: not a plain BERT encoder ({reason})")
        try:
            stored = load_file(str(folder / "model.safetensors"))
        except SafetensorError as error:
            raise damaged_weights(folder, error) from None
        weights = {
            name.removeprefix(_ENCODER_PREFIX): tensor.to(dtype) for name, tensor in stored.items()
        }
        return cls(LeanBertConfig.from_dict(config), weights, attention).eval()

    @property
    def dtype(self) -> torch.dtype:
        return self.word.dtype

    @property
    def device(self) -> torch.device:
        return self.word.device

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, **_: torch.Tensor
    ) -> LeanBertOutput:
        """Encode [batch, tokens] ids (the tokenizer's other outputs, such as the all-zero
        ``token_type_ids`` of single sentences, are accepted and not read)."""
        tokens = input_ids.shape[1]
        hidden = self.word[input_ids] + self.position[:tokens] + self.token_type
        hidden = self.embedding_norm(hidden)
        keep = attention_mask[:, None, None, :].bool()  # [batch, 1, 1, tokens]
        for layer in self.layers:
            hidden = layer(hidden, keep, self.heads, self.attention)
        pooled = None if self.pooler is None else torch.tanh(self.pooler(hidden[:, 0]))
        return LeanBertOutput(hidden, pooled)


class _Layer(torch.nn.Module):
    """One transformer layer: fused-projection attention, then the feed-forward block."""

    def __init__(self, weights: dict[str, torch.Tensor], prefix: str, config: LeanBertConfig):
        super().__init__()
        projections = [f"{prefix}attention.self.{name}" for name in ("query", "key", "value")]
        self.qkv = _linear(
            torch.cat([weights[f"{p}.weight"] for p in projections]),
            torch.cat([weights[f"{p}.bias"] for p in projections]),
        )
        self.attention_output = _named_linear(weights, f"{prefix}attention.output.dense")
        self.attention_norm = _layer_norm(weights, f"{prefix}attention.output.LayerNorm", config)
        self.intermediate = _named_linear(weights, f"{prefix}intermediate.dense")
        self.output = _named_linear(weights, f"{prefix}output.dense")
        self.output_norm = _layer_norm(weights, f"{prefix}output.LayerNorm", config)

    def forward(
        self, hidden: torch.Tensor, keep: torch.Tensor, heads: int, attention: str
    ) -> torch.Tensor:
        batch, tokens, width = hidden.shape
        query, key, value = (
            self.qkv(hidden).view(batch, tokens, 3, heads, width // heads).permute(2, 0, 3, 1, 4)
        )
        if attention == "sdpa":
            context = torch.nn.functional.scaled_dot_product_attention(
                query, key, value, attn_mask=keep
            )
        else:
            scores = query @ key.transpose(2, 3) * (width // heads) ** -0.5
            scores = scores.masked_fill(~keep, torch.finfo(scores.dtype).min)
            context = torch.softmax(scores, dim=-1) @ value
        context = context.transpose(1, 2).reshape(batch, tokens, width)
        attended = self.attention_norm(hidden + self.attention_output(context))
        inner = torch.nn.functional.gelu(self.intermediate(attended))
        return self.output_norm(attended + self.output(inner))


def _named_linear(weights: dict[str, torch.Tensor], name: str) -> torch.nn.Linear:
    """An ``nn.Linear`` holding ``name.weight`` [out, in] and ``name.bias``."""
    return _linear(weights[f"{name}.weight"], weights[f"{name}.bias"])


def _linear(weight: torch.Tensor, bias: torch.Tensor) -> torch.nn.Linear:
    """An ``nn.Linear`` holding ``weight`` [out, in] and ``bias`` (no initialisation run)."""
    layer = torch.nn.Linear(weight.shape[1], weight.shape[0], device="meta")
    layer.weight, layer.bias = torch.nn.Parameter(weight), torch.nn.Parameter(bias)
    return layer


def _layer_norm(
    weights: dict[str, torch.Tensor], name: str, config: LeanBertConfig
) -> torch.nn.LayerNorm:
    """An ``nn.LayerNorm`` holding ``name.weight`` and ``name.bias``."""
    norm = torch.nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps, device="meta")
    norm.weight = torch.nn.Parameter(weights[f"{name}.weight"])
    norm.bias = torch.nn.Parameter(weights[f"{name}.bias"])
    return norm
