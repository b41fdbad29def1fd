"""Two BERT-like encoders run in lock-step, coupled by cross-attention (JTCSE,
docs/method.md#cross-attention).

Both towers read the same token ids. Layer by layer, each tower runs its own standard layer,
except at the n cross-attention layers (n divides the number of layers L; spacing s = L / n;
1-indexed layers s, 2s, ..., L). There tower k computes its own attention probabilities

    A_k = softmax(Q_k K_k^T / sqrt(d) + M),   M = 0 on real tokens, dtype-min on padding keys,

(with the tower's attention dropout when training) and reads values by the coupling switch:

- ``value_swap`` (default): C_1 = A_1 V_2,  C_2 = A_2 V_1;
- ``cls_query``: the [CLS] query row (position 0) reads the other tower's values, the other
  rows their own;
- ``value_sum``: C_k = A_k (V_k + V_other).

The rest of the layer (attention output projection, residual, LayerNorm, feed-forward) is the
tower's own. The coupling adds no parameters: each tower stays a standard Hugging Face model,
and n = 0 is two independent towers (TNCSE).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import torch
from transformers import BertModel, PreTrainedTokenizerBase
from transformers.masking_utils import create_bidirectional_mask
from transformers.models.bert.modeling_bert import BertLayer, BertSelfAttention

from jtcse.modeling.loading import load_pretrained_model
from jtcse.modeling.twin_tower_config import CONFIG_KEY, TwinTowerConfig

TOWER_FOLDERS = ("tower_1", "tower_2")  # the two model folders of a saved twin-tower model
_ARCHITECTURE_FIELDS = ("num_hidden_layers", "hidden_size", "num_attention_heads", "vocab_size")


@dataclass
class TwinTowerOutput:
    """[CLS] outputs of both towers ([batch, hidden] tensors unless stated).

    cls_k: last-layer [CLS] hidden state of tower k, before the pooler.
    pooled_k: pooler output tanh(W cls_k + b); None when the tower has no pooler.
    intermediate_cls_k: [CLS] hidden state right after the attention sub-block (attention output
        projection + residual + LayerNorm) of the last cross-attention layer; None when n = 0.
    cls_attention_mass_k: [layers] tensor, per layer of tower k the mean attention probability
        on the [CLS] key over heads and non-padding queries (a share in [0, 1]); None unless
        requested.
    """

    cls_1: torch.Tensor
    cls_2: torch.Tensor
    pooled_1: torch.Tensor | None
    pooled_2: torch.Tensor | None
    intermediate_cls_1: torch.Tensor | None = None
    intermediate_cls_2: torch.Tensor | None = None
    cls_attention_mass_1: torch.Tensor | None = None
    cls_attention_mass_2: torch.Tensor | None = None


def _additive_attention_mask(attention_mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """[batch, tokens] 0/1 mask -> [batch, 1, 1, tokens] additive mask: 0 or the dtype's min."""
    padding = (attention_mask[:, None, None, :] == 0).to(dtype)
    return padding * torch.finfo(dtype).min


def _split_heads(self_attention: BertSelfAttention, states: torch.Tensor) -> torch.Tensor:
    """[batch, tokens, heads * d] -> [batch, heads, tokens, d]."""
    batch, tokens, _ = states.shape
    return states.view(batch, tokens, -1, self_attention.attention_head_size).transpose(1, 2)


def _attention_probabilities_and_values(
    self_attention: BertSelfAttention, hidden: torch.Tensor, attention_mask: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """A = softmax(Q K^T / sqrt(d) + M) before dropout, [batch, heads, tokens, tokens], and V."""
    query = _split_heads(self_attention, self_attention.query(hidden))
    key = _split_heads(self_attention, self_attention.key(hidden))
    value = _split_heads(self_attention, self_attention.value(hidden))
    scores = torch.matmul(query, key.transpose(2, 3)) * self_attention.scaling
    scores = scores + _additive_attention_mask(attention_mask, scores.dtype)
    return torch.softmax(scores, dim=-1), value


def _read_values(
    probabilities: torch.Tensor,
    own_values: torch.Tensor,
    other_values: torch.Tensor,
    coupling: str | None,
) -> torch.Tensor:
    """Context [batch, heads, tokens, d] by the coupling switch; None means self-attention A V."""
    if coupling is None:
        return torch.matmul(probabilities, own_values)
    if coupling == "value_swap":
        return torch.matmul(probabilities, other_values)
    if coupling == "cls_query":
        cls_row = torch.matmul(probabilities[:, :, :1], other_values)
        other_rows = torch.matmul(probabilities[:, :, 1:], own_values)
        return torch.cat([cls_row, other_rows], dim=2)
    return torch.matmul(probabilities, own_values + other_values)


def _finish_layer(
    layer: BertLayer, context: torch.Tensor, hidden: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Tower's own rest of the layer: (attention sub-block output, layer output)."""
    batch, _, tokens, _ = context.shape
    context = context.transpose(1, 2).reshape(batch, tokens, -1)
    attention_output = layer.attention.output(context, hidden)
    layer_output = layer.output(layer.intermediate(attention_output), attention_output)
    return attention_output, layer_output


def _cls_attention_mass(probabilities: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Mean of A[:, :, q, 0] over heads and non-padding queries q (0-dim float32 tensor)."""
    mass_per_query = probabilities[..., 0].detach().float().mean(dim=1)
    query_mask = attention_mask.to(mass_per_query.dtype)
    return (mass_per_query * query_mask).sum() / query_mask.sum()


def _explicit_layer_pair(
    layers: tuple[BertLayer, BertLayer],
    hidden: list[torch.Tensor],
    attention_mask: torch.Tensor,
    coupling: str | None,
) -> tuple[list[torch.Tensor], list[torch.Tensor], list[torch.Tensor]]:
    """One layer of both towers with explicit attention probabilities A_k.

    Tower k's context is ``_read_values(dropout(A_k), V_k, V_other, coupling)``; the rest of
    the layer is its own. Returns per tower: attention sub-block outputs, layer outputs and
    the [CLS] attention mass of A_k.
    """
    probabilities, values = zip(
        *(
            _attention_probabilities_and_values(layer.attention.self, h, attention_mask)
            for layer, h in zip(layers, hidden, strict=True)
        ),
        strict=True,
    )
    attention_outputs, layer_outputs, masses = [], [], []
    for k, layer in enumerate(layers):
        dropped = layer.attention.self.dropout(probabilities[k])
        context = _read_values(dropped, values[k], values[1 - k], coupling)
        attention_output, layer_output = _finish_layer(layer, context, hidden[k])
        attention_outputs.append(attention_output)
        layer_outputs.append(layer_output)
        masses.append(_cls_attention_mass(probabilities[k], attention_mask))
    return attention_outputs, layer_outputs, masses


@torch.no_grad()
def attention_mass_on_cls(
    model: BertModel, input_ids: torch.Tensor, attention_mask: torch.Tensor
) -> float:
    """[CLS] attention share of one encoder: mean attention probability on the [CLS] key over
    heads, non-padding queries and all layers (plain self-attention; the model's current mode).
    """
    hidden = model.embeddings(input_ids=input_ids)
    masses = []
    for layer in model.encoder.layer:
        self_attention = layer.attention.self
        probabilities, values = _attention_probabilities_and_values(
            self_attention, hidden, attention_mask
        )
        masses.append(_cls_attention_mass(probabilities, attention_mask))
        context = torch.matmul(self_attention.dropout(probabilities), values)
        _, hidden = _finish_layer(layer, context, hidden)
    return torch.stack(masses).mean().item()


class TwinTowerModel(torch.nn.Module):
    """Two same-architecture BERT-like encoders coupled as ``config`` says.

    Holds ``tower_1`` and ``tower_2`` as submodules and adds no parameters. Saved as a folder
    holding two standard model folders, ``tower_1/`` and ``tower_2/``, whose ``config.json``
    record the :class:`TwinTowerConfig`. Example::

        model = TwinTowerModel.from_towers("tower_1/", "tower_2/", num_cross_attention_layers=6)
        out = model(batch["input_ids"], batch["attention_mask"])
        embedding = out.cls_1 + out.cls_2
        model.save_pretrained("jtcse/", tokenizer)  # jtcse/tower_1, jtcse/tower_2
        again = TwinTowerModel.from_pretrained("jtcse/")  # coupled as it was saved
    """

    def __init__(
        self, tower_1: BertModel, tower_2: BertModel, config: TwinTowerConfig | None = None
    ) -> None:
        super().__init__()
        for field in _ARCHITECTURE_FIELDS:
            value_1, value_2 = getattr(tower_1.config, field), getattr(tower_2.config, field)
            if value_1 != value_2:
                raise ValueError(
                    f"towers must share the architecture; {field} is {value_1} in tower_1 "
                    f"and {value_2} in tower_2"
                )
        self.config = config or TwinTowerConfig()
        self.tower_1 = tower_1
        self.tower_2 = tower_2
        self.cross_attention_layers = self.config.cross_attention_layers(
            tower_1.config.num_hidden_layers
        )

    @property
    def coupling(self) -> str:
        """How the cross-attention layers read values (one of ``COUPLINGS``)."""
        return self.config.coupling

    @classmethod
    def from_towers(
        cls,
        tower_1: str | Path,
        tower_2: str | Path,
        num_cross_attention_layers: int | None = None,
        coupling: str | None = None,
        **overrides: object,
    ) -> TwinTowerModel:
        """Load two tower folders (or Hub ids) with ``load_pretrained_model``.

        Without ``num_cross_attention_layers`` the coupling is what ``tower_1`` records
        (:meth:`TwinTowerConfig.from_tower_folder`; a ValueError for towers that record none,
        such as stage-1 towers), with ``coupling`` replacing the recorded one when given; with
        it, the coupling is ``coupling`` or ``value_swap``. ``overrides`` change config values
        of both towers, e.g. ``hidden_dropout_prob=0.00025``.
        """
        if num_cross_attention_layers is None:
            config = TwinTowerConfig.from_tower_folder(tower_1)
        else:
            config = TwinTowerConfig(num_cross_attention_layers)
        if coupling is not None:
            config = replace(config, coupling=coupling)
        towers = [load_pretrained_model(path, **overrides) for path in (tower_1, tower_2)]
        return cls(*towers, config)

    @classmethod
    def from_pretrained(cls, folder: str | Path, **overrides: object) -> TwinTowerModel:
        """Load what :meth:`save_pretrained` wrote: ``folder/tower_1``, ``folder/tower_2`` and
        their recorded coupling (``overrides`` as for :meth:`from_towers`)."""
        folder = Path(folder)
        return cls.from_towers(folder / TOWER_FOLDERS[0], folder / TOWER_FOLDERS[1], **overrides)

    def save_pretrained(
        self, folder: str | Path, tokenizer: PreTrainedTokenizerBase | None = None
    ) -> None:
        """Write ``folder/tower_1`` and ``folder/tower_2``: standard model folders (tokenizer
        beside, if given) whose ``config.json`` records :attr:`config` under ``jtcse``.

        Writes in place, as ``PreTrainedModel.save_pretrained`` does; wrap it in
        :func:`jtcse.atomic.replace_folder_atomically` to swap the folder in atomically.
        """
        record = self.config.to_record(self.tower_1.config.num_hidden_layers)
        for tower, name in zip((self.tower_1, self.tower_2), TOWER_FOLDERS, strict=True):
            setattr(tower.config, CONFIG_KEY, record)
            tower.save_pretrained(Path(folder) / name)
            if tokenizer is not None:
                tokenizer.save_pretrained(Path(folder) / name)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        return_attention_mass: bool = False,
    ) -> TwinTowerOutput:
        """Encode one batch of token ids ([batch, tokens]) with both towers in lock-step.

        Ordinary layers call the tower's own layer; with ``return_attention_mass`` every layer
        runs the explicit attention path so that its probabilities can be measured.
        """
        if input_ids.shape != attention_mask.shape:
            raise ValueError(
                f"attention_mask must have the shape of input_ids {tuple(input_ids.shape)}; "
                f"got {tuple(attention_mask.shape)}"
            )
        towers = (self.tower_1, self.tower_2)
        hidden = [t.embeddings(input_ids=input_ids, token_type_ids=token_type_ids) for t in towers]
        layer_masks = [
            create_bidirectional_mask(
                config=t.config, inputs_embeds=h, attention_mask=attention_mask
            )
            for t, h in zip(towers, hidden, strict=True)
        ]
        masses: list[list[torch.Tensor]] = [[], []]
        intermediate_cls: list[torch.Tensor | None] = [None, None]
        layer_pairs = zip(self.tower_1.encoder.layer, self.tower_2.encoder.layer, strict=True)
        for index, layers in enumerate(layer_pairs):
            is_cross = index in self.cross_attention_layers
            if not is_cross and not return_attention_mass:
                hidden = [
                    layer(h, m) for layer, h, m in zip(layers, hidden, layer_masks, strict=True)
                ]
                continue
            coupling = self.coupling if is_cross else None
            attention_outputs, hidden, layer_masses = _explicit_layer_pair(
                layers, hidden, attention_mask, coupling
            )
            if is_cross and index == self.cross_attention_layers[-1]:
                intermediate_cls = [output[:, 0] for output in attention_outputs]
            for tower_masses, mass in zip(masses, layer_masses, strict=True):
                tower_masses.append(mass)
        pooled = [
            t.pooler(h) if t.pooler is not None else None
            for t, h in zip(towers, hidden, strict=True)
        ]
        mass = [torch.stack(m) if return_attention_mass else None for m in masses]
        return TwinTowerOutput(
            cls_1=hidden[0][:, 0],
            cls_2=hidden[1][:, 0],
            pooled_1=pooled[0],
            pooled_2=pooled[1],
            intermediate_cls_1=intermediate_cls[0],
            intermediate_cls_2=intermediate_cls[1],
            cls_attention_mass_1=mass[0],
            cls_attention_mass_2=mass[1],
        )
