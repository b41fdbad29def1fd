"""Masked-language-model pretraining (jtcse.training.mlm) on the tiny tokenizer: BERT's
masking rule, the sparse loss against Hugging Face's full-vocabulary one, the settings, and a
short pretraining whose folder Hugging Face's Auto classes read."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from transformers import AutoModel, AutoModelForMaskedLM, AutoTokenizer

from jtcse.training.config import TrainingConfig
from jtcse.training.mlm import (
    IGNORED,
    SparseMaskedLm,
    build_model,
    mask_tokens,
    masked_lm_loss,
    mlm_collator,
    pretrain,
)
from jtcse.training.settings import MlmSettings
from tests.fixtures.tiny_bert import TINY_CORPUS

TINY = MlmSettings(
    num_layers=2,
    hidden_size=32,
    num_attention_heads=4,
    intermediate_size=64,
    max_length=16,
    max_position_embeddings=64,
    held_out=3,
)


def test_masking_follows_bert_rule() -> None:
    generator = torch.Generator().manual_seed(0)
    input_ids = torch.full((400, 100), 7)
    maskable = torch.ones_like(input_ids, dtype=torch.bool)
    maskable[:, :2] = False  # e.g. [CLS] and padding: never chosen
    inputs, labels = mask_tokens(input_ids, maskable, 0.15, 4, 50, generator)
    chosen = labels != IGNORED
    assert not chosen[:, :2].any()
    assert chosen.float().mean() == pytest.approx(0.15 * 98 / 100, abs=0.005)
    assert (labels[chosen] == 7).all()  # the original id is the target
    masked = (inputs == 4) & chosen
    kept = (inputs == 7) & chosen
    assert masked.sum() / chosen.sum() == pytest.approx(0.8, abs=0.01)
    # kept: the 10% left alone, plus the random draws that hit 7 (1 in 50)
    assert kept.sum() / chosen.sum() == pytest.approx(0.1 + 0.1 / 50, abs=0.01)
    assert (inputs[~chosen] == 7).all()  # unchosen positions are untouched


def test_the_sparse_loss_is_hugging_faces_masked_lm_loss(tiny_bert_path: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_bert_path)
    model = build_model(TINY, tokenizer).eval()
    generator = torch.Generator().manual_seed(1)
    batch = mlm_collator(tokenizer, 16, 0.3, generator)(TINY_CORPUS[:6])
    assert (batch["labels"] != IGNORED).any()
    assert not (batch["labels"][batch["attention_mask"] == 0] != IGNORED).any()  # no padding
    with torch.no_grad():
        terms = masked_lm_loss(SparseMaskedLm(model), dict(batch))
        reference = model(**batch)  # every position's logits, then the ignored ones dropped
    assert terms["loss"].item() == pytest.approx(reference.loss.item(), rel=1e-5)
    chosen = batch["labels"] != IGNORED
    right = (reference.logits.argmax(-1)[chosen] == batch["labels"][chosen]).float().mean()
    assert terms["accuracy"].item() == pytest.approx(right.item())


def test_settings_are_checked_and_split_the_corpus() -> None:
    with pytest.raises(ValueError, match="multiple of num_attention_heads"):
        MlmSettings(hidden_size=30, num_attention_heads=4)
    with pytest.raises(ValueError, match="mask_probability must be > 0"):
        MlmSettings(mask_probability=0.0)
    with pytest.raises(ValueError, match="max_position_embeddings"):
        MlmSettings(max_length=64, max_position_embeddings=32)
    training, held_out = MlmSettings(held_out=2, max_sentences=3).split(list("abcdefg"))
    assert (training, held_out) == (list("abc"), list("fg"))
    with pytest.raises(ValueError, match="leaves no training sentence"):
        MlmSettings(held_out=7).split(list("abcdefg"))


def test_pretraining_lowers_the_held_out_loss_and_writes_a_hugging_face_folder(
    tiny_bert_path: Path, tmp_path: Path
) -> None:
    sentences = TINY_CORPUS * 4 + TINY_CORPUS[:3]  # the last 3 held out
    config = TrainingConfig(
        learning_rate=3e-3,
        batch_size=8,
        num_epochs=None,
        max_steps=40,
        schedule="linear",
        warmup_steps=4,
        eval_every=20,
        log_every=10,
        checkpoint_every=20,
        seed=3,
    )
    cards: list[float] = []
    best, result = pretrain(
        tiny_bert_path,
        sentences,
        TINY,
        config,
        tmp_path / "mlm",
        write_card=lambda folder, loss: cards.append(loss),
    )
    vocabulary = len(AutoTokenizer.from_pretrained(tiny_bert_path))
    scores = [score for _, score in result.dev_history]
    assert [step for step, _ in result.dev_history] == [20, 40]
    assert scores[-1] > scores[0]  # the held-out loss fell
    assert -result.best_score < math.log(vocabulary) - 0.5  # well below a uniform guess
    assert cards[-1] == pytest.approx(-result.best_score)  # the card of the kept folder
    assert {"mlm", "accuracy", "learning_rate"} <= set(result.last_metrics)

    encoder = AutoModel.from_pretrained(best)  # the encoder alone, as the towers load it
    assert (encoder.config.num_hidden_layers, encoder.config.hidden_size) == (2, 32)
    masked_lm = AutoModelForMaskedLM.from_pretrained(best)
    tokenizer = AutoTokenizer.from_pretrained(best)
    tokens = tokenizer(["a man is playing a [MASK] ."], return_tensors="pt")
    with torch.no_grad():
        assert masked_lm(**tokens).logits.shape[-1] == vocabulary
