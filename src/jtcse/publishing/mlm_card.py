"""The model card (``README.md``) of the masked-language-model base
(:mod:`jtcse.training.mlm`): what it is, its shape, how it was trained and its held-out loss,
every number from the run that wrote the folder."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from jtcse.atomic import write_text_atomic
from jtcse.modeling.folders import MODEL_CARD_FILE
from jtcse.training.config import TrainingConfig
from jtcse.training.settings import MlmSettings


def write_mlm_card(
    folder: Path,
    loss: float,
    *,
    model_path: str,
    settings: MlmSettings,
    config: TrainingConfig,
    tokenizer: str,
    corpus_sentences: int,
) -> Path:
    """Write ``<folder>/README.md`` for a model whose held-out masked-token loss is ``loss``
    (nats; its perplexity exp(loss) is stated beside it) and whose users load it from
    ``model_path`` (``folder`` may be a temporary name that is renamed after writing)."""
    rows = "\n".join(
        f"| {name} | {value} |"
        for name, value in {
            **dataclasses.asdict(settings),
            **{f"training.{k}": v for k, v in dataclasses.asdict(config).items()},
        }.items()
    )
    text = f"""---
library_name: transformers
pipeline_tag: fill-mask
tags: [jtcse, bert, masked-language-modelling]
---

# {model_path}: a BERT pretrained with masked language modelling only

A {settings.num_layers}-layer BERT of width {settings.hidden_size} ({settings.num_attention_heads}
heads, feed-forward {settings.intermediate_size}) with the tokenizer of `{tokenizer}`, trained
from random weights (seed {settings.init_seed}) with BERT's dynamic masking
({settings.mask_probability:.0%} of the tokens; 80% `[MASK]`, 10% random, 10% unchanged) on
{corpus_sentences - settings.held_out:,} sentences of jtcse's training corpus (the last
{settings.held_out:,} held out), sentences cut at {settings.max_length} tokens. It is the base
model of jtcse's regime study: no supervision, so its [CLS] is not a sentence embedding until
contrastive training makes it one.

Held-out masked-token loss: **{loss:.4f}** nats (perplexity {math.exp(loss):.1f}), the lowest
of the run's evaluations (the folder holds that checkpoint).

```python
from transformers import AutoModel, AutoModelForMaskedLM
encoder = AutoModel.from_pretrained("{model_path}")           # the encoder (towers start here)
masked_lm = AutoModelForMaskedLM.from_pretrained("{model_path}")
```

| setting | value |
|---|---|
{rows}
"""
    return write_text_atomic(folder / MODEL_CARD_FILE, text)
