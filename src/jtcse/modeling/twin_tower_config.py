"""How two towers are coupled: the config of :class:`jtcse.modeling.twin_tower.TwinTowerModel`.

Like a Hugging Face ``PretrainedConfig``, it travels with the weights: each saved tower's
``config.json`` records it under the key ``jtcse``, so every tower stays a standard model folder
(``AutoModel`` and ``SentenceTransformer`` ignore the key) and still knows how it was trained::

    "jtcse": {"num_cross_attention_layers": 3, "cross_attention_layers": [4, 8, 12],
              "coupling": "value_swap", "run": "jtcse", "training_settings": {...}}

``cross_attention_layers`` (1-indexed) is written for readers and checked on load. Older
folders name the run ``stage``, and those written before this config existed hold
``{"stage": ..., **joint settings}`` under the same key; they load too (the settings other than
the coupling become ``training_settings``). Imports no torch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jtcse.modeling.layers import cross_attention_layer_indices

CONFIG_KEY = "jtcse"  # the key of the record in each tower's config.json
COUPLINGS = ("value_swap", "cls_query", "value_sum")


@dataclass(frozen=True)
class TwinTowerConfig:
    """The coupling of a twin-tower model.

    Attributes:
        num_cross_attention_layers: n, equally spaced over the L layers
            (docs/method.md#cross-attention); 0 is two independent towers (TNCSE).
        coupling: how a cross-attention layer reads values, one of :data:`COUPLINGS`.
        run: the training run that produced the towers (``tncse``, ``jtcse``), if any.
        training_settings: that run's settings, kept for provenance.

    Example::

        config = TwinTowerConfig(num_cross_attention_layers=3)
        config.cross_attention_layers(12)  # [3, 7, 11], 0-indexed
    """

    num_cross_attention_layers: int = 0
    coupling: str = "value_swap"
    run: str | None = None
    training_settings: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.coupling not in COUPLINGS:
            raise ValueError(
                f"coupling must be one of {', '.join(COUPLINGS)}; got {self.coupling!r}"
            )
        if self.num_cross_attention_layers < 0:
            raise ValueError(
                f"num_cross_attention_layers must be >= 0; got {self.num_cross_attention_layers}"
            )

    def cross_attention_layers(self, num_hidden_layers: int) -> list[int]:
        """0-indexed positions of the cross-attention layers in towers of L layers (a
        ValueError when n does not divide L)."""
        return cross_attention_layer_indices(num_hidden_layers, self.num_cross_attention_layers)

    def to_record(self, num_hidden_layers: int) -> dict[str, Any]:
        """The JSON-ready record saved in a tower's ``config.json`` (positions 1-indexed)."""
        return {
            "num_cross_attention_layers": self.num_cross_attention_layers,
            "cross_attention_layers": [
                index + 1 for index in self.cross_attention_layers(num_hidden_layers)
            ],
            "coupling": self.coupling,
            "run": self.run,
            "training_settings": dict(self.training_settings),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any], num_hidden_layers: int) -> TwinTowerConfig:
        """Read a record of :meth:`to_record`, or an older one (``stage`` for ``run``, or
        ``{"stage", **settings}``)."""
        if "num_cross_attention_layers" not in record:
            raise ValueError("the record names no num_cross_attention_layers")
        known = ("num_cross_attention_layers", "cross_attention_layers", "coupling", "run", "stage")
        settings = record.get(
            "training_settings", {k: v for k, v in record.items() if k not in known}
        )
        config = cls(
            num_cross_attention_layers=int(record["num_cross_attention_layers"]),
            coupling=record.get("coupling", "value_swap"),
            run=record.get("run", record.get("stage")),
            training_settings=settings,
        )
        written = record.get("cross_attention_layers")
        expected = config.to_record(num_hidden_layers)["cross_attention_layers"]
        if written is not None and list(written) != expected:
            raise ValueError(
                f"the record places cross-attention at layers {list(written)}, but n = "
                f"{config.num_cross_attention_layers} of {num_hidden_layers} layers is {expected}"
            )
        return config

    @classmethod
    def from_tower_folder(cls, name_or_path: str | Path) -> TwinTowerConfig:
        """The config recorded in a tower's ``config.json`` (a folder or Hub id); a ValueError
        naming it when it records none (a tower that was never trained jointly)."""
        from transformers import AutoConfig  # here: the module stays light to import

        tower_config = AutoConfig.from_pretrained(str(name_or_path))
        record = getattr(tower_config, CONFIG_KEY, None)
        if not isinstance(record, Mapping) or "num_cross_attention_layers" not in record:
            raise ValueError(f"{name_or_path}: config.json records no jtcse coupling")
        try:
            return cls.from_record(record, int(tower_config.num_hidden_layers))
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"{name_or_path}: bad {CONFIG_KEY} record in config.json ({error})"
            ) from error
