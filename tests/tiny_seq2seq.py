"""Build a tiny but real sequence-to-sequence translation model for the tests: a BERT encoder
and a BERT decoder with cross-attention (``EncoderDecoderModel``, which
``AutoModelForSeq2SeqLM`` loads), randomly initialised, with the locally built WordPiece
tokenizer of :mod:`tests.tiny_bert`. Its "translations" are arbitrary token strings: the tests
check the plumbing, never the language."""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import BertConfig, EncoderDecoderConfig, EncoderDecoderModel

from tests.tiny_bert import build_tokenizer


def build_tiny_seq2seq(folder: Path, seed: int = 0) -> Path:
    """Save a randomly initialised 1-layer, 32-wide encoder-decoder and its tokenizer."""
    tokenizer = build_tokenizer()
    sizes = {
        "vocab_size": len(tokenizer),
        "hidden_size": 32,
        "num_hidden_layers": 1,
        "num_attention_heads": 4,
        "intermediate_size": 64,
        "max_position_embeddings": 128,
    }
    config = EncoderDecoderConfig.from_encoder_decoder_configs(
        BertConfig(**sizes), BertConfig(**sizes, is_decoder=True, add_cross_attention=True)
    )
    config.decoder_start_token_id = tokenizer.cls_token_id
    config.pad_token_id = tokenizer.pad_token_id
    config.eos_token_id = tokenizer.sep_token_id
    torch.manual_seed(seed)
    model = EncoderDecoderModel(config=config)
    model.generation_config.decoder_start_token_id = tokenizer.cls_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.sep_token_id
    folder = Path(folder)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
