"""The plain-PyTorch BERT forward (jtcse.modeling.lean_bert) against transformers' BertModel on
tiny real BERTs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from transformers import AutoTokenizer, BertConfig, BertForMaskedLM, BertModel

from jtcse.modeling.lean_bert import LeanBert, supported

SENTENCES = [
    "an old man is reading a newspaper on a bench .",
    "the cat sits .",
    "a group of people are dancing on a stage in the park today .",
]


def _batch(folder: Path) -> dict[str, torch.Tensor]:
    return dict(AutoTokenizer.from_pretrained(folder)(SENTENCES, padding=True, return_tensors="pt"))


@pytest.mark.parametrize("attention", ["sdpa", "eager"])
@torch.inference_mode()
def test_float32_forward_equals_transformers(distinct_bert_path, attention):
    batch = _batch(distinct_bert_path)
    reference = BertModel.from_pretrained(distinct_bert_path, attn_implementation="eager").eval()
    expected = reference(**batch)
    lean = LeanBert.load(distinct_bert_path, attention=attention)(**batch)
    mask = batch["attention_mask"].bool()
    # padded positions are not compared: what a padding token holds is never pooled
    torch.testing.assert_close(
        lean.last_hidden_state[mask], expected.last_hidden_state[mask], atol=2e-5, rtol=1e-5
    )
    torch.testing.assert_close(lean.pooler_output, expected.pooler_output, atol=2e-5, rtol=1e-5)


@torch.inference_mode()
def test_bfloat16_forward_stays_close_to_float32(distinct_bert_path):
    batch = _batch(distinct_bert_path)
    full = LeanBert.load(distinct_bert_path)(**batch).last_hidden_state[:, 0]
    half = LeanBert.load(distinct_bert_path, torch.bfloat16)(**batch).last_hidden_state[:, 0]
    assert half.dtype == torch.bfloat16
    assert torch.nn.functional.cosine_similarity(half.float(), full).min() > 0.99


@torch.inference_mode()
def test_padding_does_not_change_a_sentence(distinct_bert_path):
    tokenizer = AutoTokenizer.from_pretrained(distinct_bert_path)
    model = LeanBert.load(distinct_bert_path)
    padded = model(**tokenizer(SENTENCES, padding=True, return_tensors="pt")).last_hidden_state
    for row, sentence in enumerate(SENTENCES):
        alone = model(**tokenizer([sentence], return_tensors="pt")).last_hidden_state[0]
        torch.testing.assert_close(padded[row, : len(alone)], alone, atol=2e-5, rtol=1e-5)


@torch.inference_mode()
def test_a_masked_language_model_folder_loads_its_encoder(tmp_path, tiny_bert_path):
    """A BertForMaskedLM folder (weights under ``bert.``, an MLM head, no pooler) gives what
    transformers' BertModel loads from it."""
    config = BertConfig.from_pretrained(tiny_bert_path)
    torch.manual_seed(3)
    BertForMaskedLM(config).save_pretrained(tmp_path)
    AutoTokenizer.from_pretrained(tiny_bert_path).save_pretrained(tmp_path)
    batch = _batch(tmp_path)
    reference = BertModel.from_pretrained(tmp_path, add_pooling_layer=False).eval()
    lean = LeanBert.load(tmp_path)(**batch)
    assert lean.pooler_output is None
    mask = batch["attention_mask"].bool()
    torch.testing.assert_close(
        lean.last_hidden_state[mask], reference(**batch).last_hidden_state[mask], atol=2e-5, rtol=0
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"model_type": "roberta"}, "model_type is 'roberta'"),
        ({"hidden_act": "relu"}, "hidden_act is 'relu'"),
        ({"position_embedding_type": "relative_key"}, "position_embedding_type"),
        ({"is_decoder": True}, "a decoder"),
    ],
)
def test_other_architectures_are_refused_by_name(tmp_path, tiny_bert_path, change, reason):
    for name in ("model.safetensors", "config.json"):
        (tmp_path / name).write_bytes((tiny_bert_path / name).read_bytes())
    assert supported(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps(config | change))
    assert not supported(tmp_path)
    with pytest.raises(ValueError, match=rf"{tmp_path}: not a plain BERT encoder \(.*{reason}"):
        LeanBert.load(tmp_path)


def test_a_folder_without_safetensors_is_not_supported(tmp_path, tiny_bert_path):
    (tmp_path / "config.json").write_bytes((tiny_bert_path / "config.json").read_bytes())
    assert not supported(tmp_path)


def test_an_unknown_attention_is_refused(tiny_bert_path):
    with pytest.raises(ValueError, match="attention must be one of sdpa, eager; got 'flash'"):
        LeanBert.load(tiny_bert_path, attention="flash")


def test_importing_it_leaves_transformers_model_classes_out():
    code = (
        "import sys, jtcse.modeling.lean_bert; "
        "print(any(name.startswith('transformers') for name in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
