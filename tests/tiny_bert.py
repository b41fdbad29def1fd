"""Build tiny but real BERT models and WordPiece tokenizers for the tests.

Everything is created locally: a WordPiece vocabulary is built from a small corpus with the
`tokenizers` library and a randomly initialised `BertModel` is built from a `BertConfig`.
"""

from __future__ import annotations

from pathlib import Path

import torch
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
from transformers import BertConfig, BertModel, BertTokenizerFast

TINY_CORPUS = [
    "a man is playing a guitar .",
    "a woman is slicing an onion .",
    "two dogs are running through a field .",
    "the cat sits on the mat .",
    "a child is riding a horse .",
    "the stock market fell sharply today .",
    "a group of people are dancing on a stage .",
    "someone is cooking pasta in the kitchen .",
    "the president spoke about the economy .",
    "a boy jumps into the lake .",
    "an old man is reading a newspaper on a bench .",
    "the train arrives at the station at noon .",
]
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def build_tokenizer(corpus: list[str] | None = None) -> BertTokenizerFast:
    """A lower-casing WordPiece tokenizer whose vocabulary is built from ``corpus``.

    The vocabulary is deterministic (the same ids in every process): the special tokens, every
    character alone and as a ``##`` continuation, then every whole word of the corpus, sorted.
    """
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    normalizer = normalizers.BertNormalizer(lowercase=True)
    words = sorted(
        {
            word
            for sentence in corpus or TINY_CORPUS
            for word, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(sentence))
        }
    )
    characters = sorted({character for word in words for character in word})
    pieces = [*characters, *(f"##{character}" for character in characters), *words]
    vocabulary = {
        token: index for index, token in enumerate(dict.fromkeys(SPECIAL_TOKENS + pieces))
    }
    tokenizer = Tokenizer(models.WordPiece(vocabulary, unk_token="[UNK]"))
    tokenizer.normalizer = normalizer
    tokenizer.pre_tokenizer = pre_tokenizer
    cls_id, sep_id = vocabulary["[CLS]"], vocabulary["[SEP]"]
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    return BertTokenizerFast(tokenizer_object=tokenizer, model_max_length=128)


def build_tiny_bert(
    folder: Path,
    seed: int = 0,
    num_hidden_layers: int = 2,
    hidden_size: int = 32,
    corpus: list[str] | None = None,
) -> Path:
    """Save a randomly initialised tiny BERT with its tokenizer to ``folder`` and return it."""
    tokenizer = build_tokenizer(corpus)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        num_hidden_layers=num_hidden_layers,
        num_attention_heads=4,
        intermediate_size=2 * hidden_size,
        max_position_embeddings=128,
    )
    torch.manual_seed(seed)
    model = BertModel(config)
    folder = Path(folder)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
