"""Tests of running an encoder in length-sorted chunks: the same outputs and gradients as one
padded call, on tiny real BERTs and the twin-tower model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from transformers import AutoModel, AutoTokenizer, BertModel

from jtcse.modeling.chunking import forward_in_length_chunks
from jtcse.modeling.twin_tower import TwinTowerModel, TwinTowerOutput
from jtcse.modeling.twin_tower_config import TwinTowerConfig

# Very different lengths, longest first and shortest in the middle, so that sorting moves rows.
SENTENCES = [
    "an old man is reading a newspaper on a bench . the train arrives at the station at noon .",
    "a cat .",
    "a group of people are dancing on a stage .",
    "the dog",
    "someone is cooking pasta in the kitchen . a boy jumps into the lake .",
]
CHUNKS = (1, 2, 3, 2 * len(SENTENCES))  # one call, two, three, more chunks than rows
NO_DROPOUT = {"hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0}
TOLERANCE = {"rtol": 1e-5, "atol": 1e-5}


@pytest.fixture(scope="module")
def batch(tiny_bert_path: Path) -> dict[str, torch.Tensor]:
    tokenizer = AutoTokenizer.from_pretrained(tiny_bert_path)
    encoded = tokenizer(SENTENCES, padding="longest", return_tensors="pt")
    lengths = encoded["attention_mask"].sum(dim=1)
    assert lengths.max() >= 3 * lengths.min()  # the premise: very different lengths
    return {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"]}


@pytest.fixture(scope="module")
def tower(tiny_bert_path: Path) -> BertModel:
    return AutoModel.from_pretrained(tiny_bert_path, **NO_DROPOUT).eval()


def twin(path_1: Path, path_2: Path, n: int) -> TwinTowerModel:
    tower_1 = AutoModel.from_pretrained(path_1, **NO_DROPOUT)
    tower_2 = AutoModel.from_pretrained(path_2, **NO_DROPOUT)
    return TwinTowerModel(tower_1, tower_2, TwinTowerConfig(n)).eval()


def tower_forward(model: BertModel):
    """A dict-returning forward, as tower training uses it."""

    def forward(input_ids: torch.Tensor, attention_mask: torch.Tensor) -> dict:
        output = model(input_ids=input_ids, attention_mask=attention_mask)
        return {"cls": output.last_hidden_state[:, 0], "pooled": output.pooler_output}

    return forward


def assert_outputs_close(actual: TwinTowerOutput, expected: TwinTowerOutput) -> None:
    for name in ("cls", "pooled", "intermediate_cls"):
        for k in (1, 2):
            field = f"{name}_{k}"
            assert getattr(expected, field) is not None, field
            torch.testing.assert_close(getattr(actual, field), getattr(expected, field))


@pytest.mark.parametrize("chunks", CHUNKS)
def test_twin_tower_chunks_equal_one_padded_call(tiny_bert_path, tiny_bert_path_b, batch, chunks):
    model = twin(tiny_bert_path, tiny_bert_path_b, n=1)
    with torch.no_grad():
        expected = model(batch["input_ids"], batch["attention_mask"])
        chunked = forward_in_length_chunks(
            model, batch["input_ids"], batch["attention_mask"], chunks
        )
    assert isinstance(chunked, TwinTowerOutput)
    assert_outputs_close(chunked, expected)
    assert chunked.cls_attention_mass_1 is None and chunked.cls_attention_mass_2 is None


def test_twin_tower_without_cross_attention_keeps_none_fields(
    tiny_bert_path, tiny_bert_path_b, batch
):
    model = twin(tiny_bert_path, tiny_bert_path_b, n=0)
    with torch.no_grad():
        expected = model(batch["input_ids"], batch["attention_mask"])
        chunked = forward_in_length_chunks(model, batch["input_ids"], batch["attention_mask"], 3)
    assert chunked.intermediate_cls_1 is None and chunked.intermediate_cls_2 is None
    torch.testing.assert_close(chunked.cls_1, expected.cls_1)
    torch.testing.assert_close(chunked.pooled_2, expected.pooled_2)


@pytest.mark.parametrize("chunks", CHUNKS)
def test_dict_outputs_equal_one_padded_call(tower, batch, chunks):
    forward = tower_forward(tower)
    with torch.no_grad():
        expected = forward(batch["input_ids"], batch["attention_mask"])
        chunked = forward_in_length_chunks(
            forward, batch["input_ids"], batch["attention_mask"], chunks
        )
    assert isinstance(chunked, dict) and set(chunked) == {"cls", "pooled"}
    for name in ("cls", "pooled"):
        torch.testing.assert_close(chunked[name], expected[name])


def test_order_is_restored_rows_match_each_sentence_alone(tiny_bert_path, tower, batch):
    """Row i of the chunked output is sentence i encoded alone, without any padding."""
    tokenizer = AutoTokenizer.from_pretrained(tiny_bert_path)
    forward = tower_forward(tower)
    with torch.no_grad():
        chunked = forward_in_length_chunks(forward, batch["input_ids"], batch["attention_mask"], 2)
        for row, sentence in enumerate(SENTENCES):
            alone = tokenizer([sentence], return_tensors="pt")
            expected = forward(alone["input_ids"], alone["attention_mask"])
            torch.testing.assert_close(chunked["cls"][row], expected["cls"][0], **TOLERANCE)


def test_chunks_are_length_sorted_and_trimmed_and_rows_come_back_in_order(batch):
    """With a forward that returns its inputs, the merge is exactly the original batch."""
    seen_shapes = []

    def forward(input_ids: torch.Tensor, attention_mask: torch.Tensor) -> dict:
        seen_shapes.append(tuple(input_ids.shape))
        return {
            "first_tokens": input_ids[:, :3],
            "length": attention_mask.sum(dim=1),
            "nothing": None,
        }

    lengths = batch["attention_mask"].sum(dim=1)
    merged = forward_in_length_chunks(forward, batch["input_ids"], batch["attention_mask"], 3)
    assert torch.equal(merged["first_tokens"], batch["input_ids"][:, :3])
    assert torch.equal(merged["length"], lengths)
    assert merged["nothing"] is None
    # Five rows in three chunks of 2, 2 and 1 rows, shortest first, each trimmed to its own
    # longest row.
    sorted_lengths = sorted(lengths.tolist())
    assert seen_shapes == [
        (2, sorted_lengths[1]),
        (2, sorted_lengths[3]),
        (1, sorted_lengths[4]),
    ]


@dataclass
class Pair:
    left: torch.Tensor
    right: torch.Tensor | None


def test_plain_dataclass_output_is_rebuilt_in_order(batch):
    def forward(input_ids: torch.Tensor, attention_mask: torch.Tensor) -> Pair:
        return Pair(left=attention_mask.sum(dim=1) * 10, right=None)

    merged = forward_in_length_chunks(
        forward, batch["input_ids"], batch["attention_mask"], len(SENTENCES)
    )
    assert isinstance(merged, Pair) and merged.right is None
    assert torch.equal(merged.left, batch["attention_mask"].sum(dim=1) * 10)


def parameter_gradients(model: torch.nn.Module, loss: torch.Tensor) -> dict:
    model.zero_grad(set_to_none=True)
    loss.backward()
    return {name: parameter.grad for name, parameter in model.named_parameters()}


def weighted_sum(output: TwinTowerOutput, weights: torch.Tensor) -> torch.Tensor:
    """A scalar that weighs every row differently, so a row mix-up changes the gradient."""
    return sum(
        (getattr(output, f"{name}_{k}") * weights).sum()
        for name in ("cls", "pooled", "intermediate_cls")
        for k in (1, 2)
    )


@pytest.mark.parametrize("chunks", CHUNKS[1:])
def test_gradients_equal_one_padded_call(tiny_bert_path, tiny_bert_path_b, batch, chunks):
    model = twin(tiny_bert_path, tiny_bert_path_b, n=2)
    generator = torch.Generator().manual_seed(0)
    weights = torch.randn(len(SENTENCES), model.tower_1.config.hidden_size, generator=generator)
    expected = parameter_gradients(
        model, weighted_sum(model(batch["input_ids"], batch["attention_mask"]), weights)
    )
    chunked_output = forward_in_length_chunks(
        model, batch["input_ids"], batch["attention_mask"], chunks
    )
    actual = parameter_gradients(model, weighted_sum(chunked_output, weights))
    assert actual.keys() == expected.keys()
    with_gradient = [name for name, grad in expected.items() if grad is not None]
    assert len(with_gradient) > 0.9 * len(expected)
    for name, grad in expected.items():
        if grad is None:
            assert actual[name] is None, name
        else:
            assert grad.abs().max() > 0, name
            torch.testing.assert_close(actual[name], grad, msg=name, **TOLERANCE)


@pytest.mark.parametrize("chunks", [0, -1])
def test_chunks_below_one_raise_naming_length_chunks(batch, chunks):
    with pytest.raises(ValueError, match=f"length_chunks must be >= 1; got {chunks}"):
        forward_in_length_chunks(
            lambda ids, mask: {"ids": ids}, batch["input_ids"], batch["attention_mask"], chunks
        )
