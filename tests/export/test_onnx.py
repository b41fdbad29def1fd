"""ONNX export of the [CLS] embedding: parity with PyTorch, int8 copy, loading and errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from transformers import AutoModel, AutoTokenizer

from jtcse.encoding import Encoder, load_encoder
from jtcse.encoding.onnx_runtime import METADATA_FILE, OnnxEncoder
from jtcse.export.onnx import TRACING_SENTENCES, export_onnx, parity, quantize_int8

LONG_SENTENCE = " ".join(["the cat sits on the mat"] * 10)
SENTENCES = [
    "a man is playing a guitar .",
    "the cat sits on the mat .",
    "a",
    "two dogs are running through a field .",
    LONG_SENTENCE,
    "an old man is reading a newspaper on a bench .",
    "the stock market fell sharply today .",
    "a child is riding a horse .",
    "someone is cooking pasta in the kitchen .",
    "the train arrives at the station at noon .",
]


@pytest.fixture(scope="module")
def onnx_path(distinct_bert_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The export of a model whose rows differ per sentence, so that per-row checks see order."""
    return export_onnx(distinct_bert_path, tmp_path_factory.mktemp("export") / "onnx")


def naive_cls(model_folder: Path, sentences: list[str]) -> np.ndarray:
    """h_CLS of each sentence run alone (no padding) through the PyTorch model in float32."""
    model = AutoModel.from_pretrained(model_folder).eval()
    tokenizer = AutoTokenizer.from_pretrained(model_folder)
    with torch.no_grad():
        rows = [
            model(**tokenizer(sentence, return_tensors="pt")).last_hidden_state[0, 0]
            for sentence in sentences
        ]
    return torch.stack(rows).numpy()


def row_cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.mark.parametrize("batch_size", [1, 3, 8])
def test_onnx_matches_pytorch_cls(
    distinct_bert_path: Path, onnx_path: Path, batch_size: int
) -> None:
    tokenizer = AutoTokenizer.from_pretrained(distinct_bert_path)
    traced_length = max(len(ids) for ids in tokenizer(TRACING_SENTENCES)["input_ids"])
    assert len(tokenizer(LONG_SENTENCE)["input_ids"]) > traced_length
    expected = naive_cls(distinct_bert_path, SENTENCES)
    actual = OnnxEncoder.load(onnx_path).encode(SENTENCES, batch_size=batch_size)
    assert actual.shape == (len(SENTENCES), 32)
    assert actual.dtype == np.float32
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-5)


def test_normalize_and_empty_input(onnx_path: Path) -> None:
    encoder = OnnxEncoder.load(onnx_path.parents[1])
    raw = encoder.encode(SENTENCES[:3])
    unit = encoder.encode(SENTENCES[:3], normalize=True)
    np.testing.assert_allclose(unit, raw / np.linalg.norm(raw, axis=1, keepdims=True), rtol=1e-6)
    assert encoder.encode([]).shape == (0, 32)
    with pytest.raises(ValueError, match="batch_size"):
        encoder.encode(SENTENCES, batch_size=0)


def test_parity_reports_agreement_and_detects_another_model(
    distinct_bert_path: Path, tiny_bert_path: Path, onnx_path: Path
) -> None:
    same = parity(distinct_bert_path, onnx_path, SENTENCES)
    assert same["max_abs_difference"] < 1e-5
    assert same["min_cosine"] > 0.9999
    other = parity(tiny_bert_path, onnx_path, SENTENCES)  # its starting point, untrained
    assert other["max_abs_difference"] > 0.1
    assert other["min_cosine"] < 0.9


def test_export_folder_holds_model_tokenizer_and_metadata(
    tiny_bert_path: Path, tmp_path: Path
) -> None:
    output_dir = tmp_path / "onnx"
    output_dir.mkdir()
    (output_dir / "stale.txt").write_text("from an older export")
    path = export_onnx(tiny_bert_path, output_dir, opset=17)

    assert path == output_dir / "onnx" / "model.onnx"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["onnx"]  # no temporary folders left
    assert not (output_dir / "stale.txt").exists()  # the folder was replaced as a whole
    assert (output_dir / "tokenizer.json").is_file()
    assert (output_dir / "tokenizer_config.json").is_file()
    assert json.loads((output_dir / "config.json").read_text())["hidden_size"] == 32
    modules = json.loads((output_dir / "modules.json").read_text())
    assert [module["path"] for module in modules] == ["", "1_Pooling"]
    assert json.loads((output_dir / "1_Pooling" / "config.json").read_text())[
        "pooling_mode_cls_token"
    ]
    # sentence-transformers truncates where OnnxEncoder does
    settings = json.loads((output_dir / "sentence_bert_config.json").read_text())
    assert settings["max_seq_length"] == OnnxEncoder.load(output_dir).max_length == 128
    model = onnx.load(path)
    assert [i.name for i in model.graph.input] == ["input_ids", "attention_mask"]
    assert [o.name for o in model.graph.output] == ["last_hidden_state", "sentence_embedding"]
    assert model.opset_import[0].version == 17
    metadata = json.loads((output_dir / METADATA_FILE).read_text())
    assert metadata["opset"] == 17
    assert metadata["input_names"] == ["input_ids", "attention_mask"]
    assert metadata["output_name"] == "sentence_embedding"
    assert metadata["pooling"] == "cls"
    assert metadata["hidden_size"] == 32
    assert metadata["max_position_embeddings"] == 128
    assert metadata["source_folder"] == str(tiny_bert_path)
    assert metadata["torch_version"] == torch.__version__
    assert metadata["onnx_version"] == onnx.__version__
    assert "transformers_version" in metadata


def test_int8_copy_loads_and_stays_close(onnx_path: Path, tmp_path: Path) -> None:
    output = quantize_int8(onnx_path, tmp_path / "int8" / "onnx" / "model.onnx")

    folder = tmp_path / "int8"
    assert [p for p in folder.rglob("*") if p.name.startswith(".")] == []
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.onnx")) == [
        "onnx/model.onnx"
    ]
    for name in ("config.json", "modules.json", "1_Pooling/config.json", "tokenizer.json"):
        assert (folder / name).is_file(), name
    ops = {node.op_type for node in onnx.load(output).graph.node}
    assert "MatMulInteger" in ops
    metadata = json.loads((folder / METADATA_FILE).read_text())
    assert metadata["quantization"] == "dynamic int8, MatMul weights per channel"
    assert metadata["hidden_size"] == 32
    exact = OnnxEncoder.load(onnx_path).encode(SENTENCES)
    quantized = OnnxEncoder.load(output).encode(SENTENCES)
    # another model, and a close one: each int8 row is nearest its own fp32 row (this
    # model's rows differ per sentence), with a cosine above 0.999
    unit_quantized, unit_exact = (
        rows / np.linalg.norm(rows, axis=1)[:, None] for rows in (quantized, exact)
    )
    nearest = (unit_quantized @ unit_exact.T).argmax(axis=1)
    np.testing.assert_array_equal(nearest, np.arange(len(SENTENCES)))
    assert row_cosines(quantized, exact).min() > 0.999
    assert 0 < np.abs(quantized - exact).max() < 0.1


def test_quantize_refuses_to_overwrite_its_input(onnx_path: Path) -> None:
    with pytest.raises(ValueError, match="output_path"):
        quantize_int8(onnx_path, onnx_path)


def test_load_encoder_dispatches_on_the_path(tiny_bert_path: Path, onnx_path: Path) -> None:
    assert isinstance(load_encoder(tiny_bert_path), Encoder)
    assert isinstance(load_encoder([tiny_bert_path, tiny_bert_path]), Encoder)
    assert isinstance(load_encoder(onnx_path), OnnxEncoder)
    assert isinstance(load_encoder(str(onnx_path.parents[1])), OnnxEncoder)
    with pytest.raises(ValueError, match="pooling"):
        load_encoder(onnx_path, pooling="mean")
    with pytest.raises(ValueError, match="bf16"):
        load_encoder(onnx_path, bf16=True)


def test_missing_and_invalid_files_raise_errors_naming_them(tmp_path: Path) -> None:
    missing = tmp_path / "missing.onnx"
    with pytest.raises(FileNotFoundError, match=re.escape(str(missing))):
        load_encoder(missing)
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path / "onnx" / "model.onnx"))):
        OnnxEncoder.load(tmp_path)
    garbage = tmp_path / "x.onnx"
    garbage.write_bytes(b"\x00\xffnot an onnx model\xfe" * 8)
    with pytest.raises(ValueError, match=re.escape(f"{garbage}: not an ONNX model")):
        load_encoder(garbage)
