"""Tests of the twin-tower model and its cross-attention coupling
(docs/method.md#cross-attention)."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from transformers import AutoModel, AutoTokenizer, BertModel, RobertaConfig, RobertaModel

from jtcse.modeling.layers import cross_attention_layer_indices
from jtcse.modeling.twin_tower import TwinTowerModel, attention_mass_on_cls
from jtcse.modeling.twin_tower_config import COUPLINGS, TwinTowerConfig

SENTENCES = [
    "a man is playing a guitar .",
    "the cat sits on the mat .",
    "an old man is reading a newspaper on a bench in the park .",
]


def _batch(path: Path, sentences: list[str] = SENTENCES) -> dict[str, torch.Tensor]:
    tokenizer = AutoTokenizer.from_pretrained(path)
    encoded = tokenizer(sentences, padding=True, return_tensors="pt")
    assert (encoded["attention_mask"] == 0).any() or len(sentences) == 1
    return {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"]}


def _tower(path: Path, **kwargs: object) -> BertModel:
    return AutoModel.from_pretrained(path, **kwargs).eval()


def _twin(path_1: Path, path_2: Path, n: int, coupling: str = "value_swap") -> TwinTowerModel:
    return TwinTowerModel(_tower(path_1), _tower(path_2), TwinTowerConfig(n, coupling)).eval()


def _stock_cls(tower: BertModel, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    return tower(**batch).last_hidden_state[:, 0]


def _reference_layer(layer, hidden, other_values, mask, coupling):
    """One BERT layer written from the formulas, one head at a time; returns (attn_out, out)."""
    attention = layer.attention.self
    heads, size = attention.num_attention_heads, attention.attention_head_size
    query = F.linear(hidden, attention.query.weight, attention.query.bias)
    key = F.linear(hidden, attention.key.weight, attention.key.bias)
    own_values = F.linear(hidden, attention.value.weight, attention.value.bias)
    if other_values is None:
        other_values = own_values
    contexts = []
    for h in range(heads):
        part = slice(h * size, (h + 1) * size)
        scores = query[..., part] @ key[..., part].transpose(1, 2) / math.sqrt(size)
        probabilities = scores.masked_fill(mask[:, None, :] == 0, -math.inf).softmax(dim=-1)
        own, other = own_values[..., part], other_values[..., part]
        if coupling is None:
            context = probabilities @ own
        elif coupling == "value_swap":
            context = probabilities @ other
        elif coupling == "value_sum":
            context = probabilities @ (own + other)
        else:  # cls_query
            context = probabilities @ own
            context[:, 0] = (probabilities @ other)[:, 0]
        contexts.append(context)
    context = torch.cat(contexts, dim=-1)
    out = layer.attention.output
    attention_output = F.layer_norm(
        F.linear(context, out.dense.weight, out.dense.bias) + hidden,
        (hidden.shape[-1],),
        out.LayerNorm.weight,
        out.LayerNorm.bias,
        out.LayerNorm.eps,
    )
    inner = F.gelu(
        F.linear(attention_output, layer.intermediate.dense.weight, layer.intermediate.dense.bias)
    )
    ffn = layer.output
    layer_output = F.layer_norm(
        F.linear(inner, ffn.dense.weight, ffn.dense.bias) + attention_output,
        (hidden.shape[-1],),
        ffn.LayerNorm.weight,
        ffn.LayerNorm.bias,
        ffn.LayerNorm.eps,
    )
    return attention_output, layer_output


def _reference_twin(tower_1, tower_2, batch, cross_layers, coupling):
    """Naive lock-step twin forward: returns ([cls_1, cls_2], [intermediate_1, intermediate_2])."""
    ids, mask = batch["input_ids"], batch["attention_mask"]
    hidden = [tower_1.embeddings(input_ids=ids), tower_2.embeddings(input_ids=ids)]
    towers = (tower_1, tower_2)
    intermediate = [None, None]
    for index in range(tower_1.config.num_hidden_layers):
        layers = [t.encoder.layer[index] for t in towers]
        coupled = index in cross_layers
        values = [
            F.linear(h, layer.attention.self.value.weight, layer.attention.self.value.bias)
            for layer, h in zip(layers, hidden, strict=True)
        ]
        outputs = [
            _reference_layer(
                layers[k],
                hidden[k],
                values[1 - k] if coupled else None,
                mask,
                coupling if coupled else None,
            )
            for k in (0, 1)
        ]
        if coupled:
            intermediate = [attention_output[:, 0] for attention_output, _ in outputs]
        hidden = [layer_output for _, layer_output in outputs]
    return [h[:, 0] for h in hidden], intermediate


def test_cross_attention_layer_indices_are_evenly_spaced_and_end_at_the_last_layer():
    assert cross_attention_layer_indices(4, 0) == []
    assert cross_attention_layer_indices(4, 1) == [3]
    assert cross_attention_layer_indices(4, 2) == [1, 3]
    assert cross_attention_layer_indices(4, 4) == [0, 1, 2, 3]
    assert cross_attention_layer_indices(12, 6) == [1, 3, 5, 7, 9, 11]
    with pytest.raises(ValueError, match="num_cross_attention_layers"):
        cross_attention_layer_indices(4, 3)
    with pytest.raises(ValueError, match="num_cross_attention_layers"):
        cross_attention_layer_indices(4, -1)


def test_bad_arguments_raise_clear_errors(tiny_bert_path, tiny_bert4_path):
    with pytest.raises(ValueError, match="num_hidden_layers"):
        TwinTowerModel(_tower(tiny_bert_path), _tower(tiny_bert4_path))
    with pytest.raises(ValueError, match="coupling"):
        TwinTowerConfig(1, "key_swap")
    with pytest.raises(ValueError, match="num_cross_attention_layers"):
        TwinTowerModel(_tower(tiny_bert4_path), _tower(tiny_bert4_path), TwinTowerConfig(3))


def test_model_has_exactly_the_parameters_of_the_two_towers(tiny_bert4_path):
    tower_1, tower_2 = _tower(tiny_bert4_path), _tower(tiny_bert4_path)
    model = TwinTowerModel(tower_1, tower_2, TwinTowerConfig(2))
    assert model.cross_attention_layers == [1, 3]
    tower_ids = {id(p) for p in tower_1.parameters()} | {id(p) for p in tower_2.parameters()}
    assert {id(p) for p in model.parameters()} == tower_ids
    assert sum(p.numel() for p in model.parameters()) == 2 * sum(
        p.numel() for p in tower_1.parameters()
    )


def test_uncoupled_model_equals_two_independent_encoders(tiny_bert_path, tiny_bert_path_b):
    batch = _batch(tiny_bert_path)
    model = _twin(tiny_bert_path, tiny_bert_path_b, n=0)
    with torch.no_grad():
        out = model(**batch)
        for tower, cls, pooled in (
            (model.tower_1, out.cls_1, out.pooled_1),
            (model.tower_2, out.cls_2, out.pooled_2),
        ):
            stock = tower(**batch)
            assert torch.equal(cls, stock.last_hidden_state[:, 0])
            assert torch.equal(pooled, stock.pooler_output)
    assert not torch.allclose(out.cls_1, out.cls_2)
    assert out.intermediate_cls_1 is None and out.intermediate_cls_2 is None
    assert out.cls_attention_mass_1 is None


@pytest.mark.parametrize("coupling", ["value_swap", "cls_query"])
def test_identical_towers_reduce_to_self_attention(tiny_bert4_path, coupling):
    batch = _batch(tiny_bert4_path)
    model = _twin(tiny_bert4_path, tiny_bert4_path, n=4, coupling=coupling)
    stock = _tower(tiny_bert4_path)
    captured = {}
    stock.encoder.layer[-1].attention.register_forward_hook(
        lambda module, args, output: captured.update(attention=output[0])
    )
    with torch.no_grad():
        out = model(**batch)
        reference = stock(**batch)
    for cls, pooled in ((out.cls_1, out.pooled_1), (out.cls_2, out.pooled_2)):
        torch.testing.assert_close(cls, reference.last_hidden_state[:, 0], rtol=0, atol=1e-6)
        torch.testing.assert_close(pooled, reference.pooler_output, rtol=0, atol=1e-6)
    torch.testing.assert_close(
        out.intermediate_cls_1, captured["attention"][:, 0], rtol=0, atol=1e-6
    )


def test_value_sum_with_identical_towers_is_attention_over_doubled_values(tiny_bert4_path):
    batch = _batch(tiny_bert4_path)
    model = _twin(tiny_bert4_path, tiny_bert4_path, n=4, coupling="value_sum")
    doubled = _tower(tiny_bert4_path)
    with torch.no_grad():
        for layer in doubled.encoder.layer:  # A (V + V) = A (2 W_v h + 2 b_v)
            layer.attention.self.value.weight.mul_(2)
            layer.attention.self.value.bias.mul_(2)
        out = model(**batch)
        reference = _stock_cls(doubled, batch)
        plain = _stock_cls(_tower(tiny_bert4_path), batch)
    torch.testing.assert_close(out.cls_1, reference, rtol=0, atol=1e-6)
    torch.testing.assert_close(out.cls_2, reference, rtol=0, atol=1e-6)
    assert (out.cls_1 - plain).abs().max() > 1e-3


@pytest.mark.parametrize(
    ("coupling", "n"), [("value_swap", 1), ("value_swap", 2), ("cls_query", 2), ("value_sum", 1)]
)
def test_coupled_towers_match_a_naive_reference(tiny_bert_path, tiny_bert_path_b, coupling, n):
    batch = _batch(tiny_bert_path)
    model = _twin(tiny_bert_path, tiny_bert_path_b, n=n, coupling=coupling)
    with torch.no_grad():
        out = model(**batch)
        cls, intermediate = _reference_twin(
            model.tower_1, model.tower_2, batch, model.cross_attention_layers, coupling
        )
        uncoupled = _twin(tiny_bert_path, tiny_bert_path_b, n=0)(**batch)
    torch.testing.assert_close(out.cls_1, cls[0], rtol=0, atol=1e-5)
    torch.testing.assert_close(out.cls_2, cls[1], rtol=0, atol=1e-5)
    torch.testing.assert_close(out.intermediate_cls_1, intermediate[0], rtol=0, atol=1e-5)
    torch.testing.assert_close(out.intermediate_cls_2, intermediate[1], rtol=0, atol=1e-5)
    assert (out.cls_1 - uncoupled.cls_1).abs().max() > 1e-3
    assert (out.cls_2 - uncoupled.cls_2).abs().max() > 1e-3


def test_padding_does_not_leak_into_coupled_embeddings(tiny_bert_path, tiny_bert_path_b):
    model = _twin(tiny_bert_path, tiny_bert_path_b, n=1)
    batch = _batch(tiny_bert_path)
    with torch.no_grad():
        together = model(**batch, return_attention_mass=True)
        for row, sentence in enumerate(SENTENCES):
            alone = model(**_batch(tiny_bert_path, [sentence]))
            torch.testing.assert_close(alone.cls_1[0], together.cls_1[row], rtol=0, atol=1e-5)
            torch.testing.assert_close(alone.cls_2[0], together.cls_2[row], rtol=0, atol=1e-5)
            torch.testing.assert_close(
                alone.intermediate_cls_2[0], together.intermediate_cls_2[row], rtol=0, atol=1e-5
            )


@pytest.mark.parametrize("n", [0, 1, 2])
def test_intermediate_cls_exists_only_with_cross_attention(tiny_bert_path, tiny_bert_path_b, n):
    batch = _batch(tiny_bert_path)
    with torch.no_grad():
        out = _twin(tiny_bert_path, tiny_bert_path_b, n=n)(**batch)
    for intermediate in (out.intermediate_cls_1, out.intermediate_cls_2):
        if n == 0:
            assert intermediate is None
        else:
            assert intermediate.shape == (len(SENTENCES), 32)


def test_attention_mass_on_cls_matches_stock_attention_probabilities(
    tiny_bert_path, tiny_bert_path_b
):
    batch = _batch(tiny_bert_path)
    eager = _tower(tiny_bert_path, attn_implementation="eager")
    with torch.no_grad():
        attentions = eager(**batch, output_attentions=True).attentions
    query_mask = batch["attention_mask"].float()
    per_layer = [(a[..., 0].mean(dim=1) * query_mask).sum() / query_mask.sum() for a in attentions]
    expected = torch.stack(per_layer).mean().item()

    assert attention_mass_on_cls(eager, **batch) == pytest.approx(expected, abs=1e-6)
    uncoupled = _twin(tiny_bert_path, tiny_bert_path_b, n=0)
    coupled = _twin(tiny_bert_path, tiny_bert_path_b, n=1)
    with torch.no_grad():
        plain = uncoupled(**batch)
        measured = uncoupled(**batch, return_attention_mass=True)
        measured_coupled = coupled(**batch, return_attention_mass=True)
        coupled_cls = coupled(**batch).cls_1
    torch.testing.assert_close(
        measured.cls_attention_mass_1, torch.stack(per_layer), atol=1e-6, rtol=0
    )
    expected_2 = attention_mass_on_cls(uncoupled.tower_2, **batch)
    assert measured.cls_attention_mass_2.mean().item() == pytest.approx(expected_2, abs=1e-6)
    # with only the last layer coupled, each tower's probabilities A_k are still its own
    assert measured_coupled.cls_attention_mass_1.mean().item() == pytest.approx(expected, abs=1e-6)
    assert measured_coupled.cls_attention_mass_2.mean().item() == pytest.approx(
        expected_2, abs=1e-6
    )
    torch.testing.assert_close(measured.cls_1, plain.cls_1, rtol=0, atol=1e-6)
    torch.testing.assert_close(measured_coupled.cls_1, coupled_cls, rtol=0, atol=1e-6)
    assert 0.0 < expected < 1.0 and 0.0 < expected_2 < 1.0


def test_save_pretrained_round_trips_to_standard_models(tmp_path, tiny_bert_path, tiny_bert_path_b):
    batch = _batch(tiny_bert_path)
    model = _twin(tiny_bert_path, tiny_bert_path_b, n=2, coupling="cls_query")
    tokenizer = AutoTokenizer.from_pretrained(tiny_bert_path)
    model.save_pretrained(tmp_path / "twin", tokenizer)
    reloaded = TwinTowerModel.from_pretrained(tmp_path / "twin").eval()
    assert reloaded.config == model.config and reloaded.cross_attention_layers == [0, 1]
    with torch.no_grad():
        out, again = model(**batch), reloaded(**batch)
        for folder, tower in (("tower_1", model.tower_1), ("tower_2", model.tower_2)):
            standard = _tower(tmp_path / "twin" / folder)
            assert isinstance(standard, BertModel)
            assert torch.equal(_stock_cls(standard, batch), _stock_cls(tower, batch))
            AutoTokenizer.from_pretrained(tmp_path / "twin" / folder)
    assert torch.equal(out.cls_1, again.cls_1) and torch.equal(out.cls_2, again.cls_2)
    record = json.loads((tmp_path / "twin/tower_2/config.json").read_text())["jtcse"]
    assert record["cross_attention_layers"] == [1, 2] and record["coupling"] == "cls_query"


def test_dropout_is_active_in_training_and_config_overrides_reach_it(
    tiny_bert_path, tiny_bert_path_b
):
    batch = _batch(tiny_bert_path)
    # every layer is a cross-attention layer, and only the attention probabilities drop out
    attention_dropout_only = TwinTowerModel.from_towers(
        tiny_bert_path, tiny_bert_path_b, 2, hidden_dropout_prob=0.0
    ).train()
    with torch.no_grad():
        first, second = attention_dropout_only(**batch), attention_dropout_only(**batch)
    assert not torch.allclose(first.cls_1, second.cls_1)
    assert not torch.allclose(first.cls_2, second.cls_2)
    no_dropout = TwinTowerModel.from_towers(
        tiny_bert_path,
        tiny_bert_path_b,
        2,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    with torch.no_grad():
        trained = no_dropout.train()(**batch)
        evaluated = no_dropout.eval()(**batch)
    torch.testing.assert_close(trained.cls_1, evaluated.cls_1, rtol=0, atol=0)


@pytest.mark.parametrize("coupling", COUPLINGS)
def test_bf16_autocast_runs_and_gradients_reach_both_towers(tiny_bert4_path, coupling):
    batch = _batch(tiny_bert4_path)
    model = _twin(tiny_bert4_path, tiny_bert4_path, n=2, coupling=coupling).train()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = model(**batch, return_attention_mass=True)
        loss = sum(
            t.float().square().sum()
            for t in (out.cls_1, out.cls_2, out.pooled_1, out.pooled_2, out.intermediate_cls_2)
        )
    assert torch.isfinite(loss)
    loss.backward()
    for tower in (model.tower_1, model.tower_2):
        for parameter in tower.parameters():
            assert parameter.grad is not None and torch.isfinite(parameter.grad).all()
        assert tower.encoder.layer[0].attention.self.query.weight.grad.abs().sum() > 0


def test_a_loss_on_tower_1_alone_trains_tower_2_through_the_coupling(
    tiny_bert_path, tiny_bert_path_b
):
    batch = _batch(tiny_bert_path)
    for n, tower_2_is_trained in ((0, False), (1, True)):
        model = _twin(tiny_bert_path, tiny_bert_path_b, n=n)
        model(**batch).cls_1.square().sum().backward()
        value_grad = model.tower_2.encoder.layer[1].attention.self.value.weight.grad
        embedding_grad = model.tower_2.embeddings.word_embeddings.weight.grad
        assert (value_grad is not None and value_grad.abs().sum() > 0) == tower_2_is_trained
        assert (embedding_grad is not None and embedding_grad.abs().sum() > 0) == tower_2_is_trained


def _with_record(tmp_path: Path, source: Path, record: dict | None) -> Path:
    folder = tmp_path / "tower"
    shutil.copytree(source, folder)
    config = json.loads((folder / "config.json").read_text())
    config["jtcse"] = record
    (folder / "config.json").write_text(json.dumps(config))
    return folder


def test_a_tower_without_a_record_needs_the_coupling(tmp_path, tiny_bert_path):
    folder = _with_record(tmp_path, tiny_bert_path, None)
    with pytest.raises(ValueError, match="records no jtcse coupling"):
        TwinTowerConfig.from_tower_folder(folder)
    with pytest.raises(ValueError, match="records no jtcse coupling"):
        TwinTowerModel.from_towers(folder, folder)
    assert TwinTowerModel.from_towers(folder, folder, 2).cross_attention_layers == [0, 1]


def test_folders_written_before_the_config_still_load(tmp_path, tiny_bert_path):
    # what joint training recorded before TwinTowerConfig: the stage and all joint settings
    legacy = {"stage": "jtcse", "num_cross_attention_layers": 2, "coupling": "cls_query", "lr": 1}
    folder = _with_record(tmp_path, tiny_bert_path, legacy)
    config = TwinTowerConfig.from_tower_folder(folder)
    assert (config.num_cross_attention_layers, config.coupling) == (2, "cls_query")
    assert config.run == "jtcse" and config.training_settings == {"lr": 1}
    model = TwinTowerModel.from_towers(folder, folder, coupling="value_sum")
    assert model.cross_attention_layers == [0, 1] and model.coupling == "value_sum"


def test_a_record_whose_positions_disagree_is_refused(tmp_path, tiny_bert_path):
    record = TwinTowerConfig(1).to_record(num_hidden_layers=2)
    assert record["cross_attention_layers"] == [2]
    folder = _with_record(tmp_path, tiny_bert_path, {**record, "cross_attention_layers": [1]})
    with pytest.raises(ValueError, match=r"tower: bad jtcse record.*layers \[1\]"):
        TwinTowerConfig.from_tower_folder(folder)


@pytest.mark.parametrize("n", [0, 1])
def test_roberta_towers_couple_as_the_reference_says(n):
    """conf/paper_roberta trains RoBERTa towers: the twin model must couple them, not build a
    BERT variant (a defect of the TNCSE code, docs/method.md#departures)."""
    config = RobertaConfig(
        vocab_size=64,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=40,
    )
    torch.manual_seed(0)
    towers = [RobertaModel(config).eval(), RobertaModel(config).eval()]
    ids = torch.randint(3, 64, (3, 9))
    batch = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
    model = TwinTowerModel(*towers, TwinTowerConfig(n)).eval()
    with torch.no_grad():
        out = model(**batch)
        cls, _ = _reference_twin(*towers, batch, model.cross_attention_layers, "value_swap")
        alone = [_stock_cls(tower, batch) for tower in towers]
    torch.testing.assert_close(out.cls_1, cls[0], rtol=0, atol=1e-5)
    torch.testing.assert_close(out.cls_2, cls[1], rtol=0, atol=1e-5)
    assert out.pooled_1 is not None and out.pooled_2 is not None  # the ICTM term needs them
    coupled_away = (out.cls_1 - alone[0]).abs().max().item()
    assert coupled_away > 1e-3 if n else coupled_away < 1e-5
