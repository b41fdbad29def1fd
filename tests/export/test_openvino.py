"""OpenVINO conversion of an ONNX export: parity, static int8, loading, cache identity, errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from jtcse.console import main
from jtcse.encoding import load_encoder
from jtcse.encoding.onnx_runtime import METADATA_FILE, OnnxEncoder
from jtcse.encoding.openvino_runtime import OpenVinoEncoder
from jtcse.export.onnx import compare_rows, export_onnx
from jtcse.export.openvino import QUANTIZATION, export_openvino, openvino_parity
from jtcse.modeling.folders import OPENVINO_MODEL_FILE
from tests.export.test_onnx import SENTENCES, naive_cls
from tests.fixtures.training_runs import CORPUS


@pytest.fixture(scope="module")
def onnx_path(distinct_bert_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The export of a model whose rows differ per sentence, so that per-row checks see order."""
    return export_onnx(distinct_bert_path, tmp_path_factory.mktemp("export") / "onnx")


@pytest.fixture(scope="module")
def fp32_folder(onnx_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("openvino") / "fp32"
    export_openvino(onnx_path, folder)
    return folder


@pytest.fixture(scope="module")
def int8_folder(onnx_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("openvino") / "int8"
    # calibrated on sentences of the model's own vocabulary (on sentences of unknown words its
    # scales are off: min cosine 0.15 to the f32 rows)
    export_openvino(onnx_path.parent.parent, folder, CORPUS)
    return folder


@pytest.mark.parametrize("batch_size", [1, 3, 8])
def test_fp32_conversion_matches_onnx_runtime_and_pytorch(
    distinct_bert_path: Path, onnx_path: Path, fp32_folder: Path, batch_size: int
) -> None:
    rows = OpenVinoEncoder.load(fp32_folder, precision="f32").encode(SENTENCES, batch_size)
    onnx_rows = OnnxEncoder.load(onnx_path).encode(SENTENCES)
    np.testing.assert_allclose(rows, onnx_rows, rtol=0, atol=1e-5)
    np.testing.assert_allclose(rows, naive_cls(distinct_bert_path, SENTENCES), rtol=0, atol=1e-5)
    report = openvino_parity(onnx_path, fp32_folder, SENTENCES)
    assert report["max_abs_difference"] < 1e-5 and report["min_cosine"] > 0.99999


def test_folder_is_laid_out_for_sentence_transformers(fp32_folder: Path, onnx_path: Path) -> None:
    assert (fp32_folder / OPENVINO_MODEL_FILE).with_suffix(".bin").is_file()
    assert not list(fp32_folder.rglob("*.onnx"))
    for name in ("tokenizer.json", "config.json", "modules.json", "sentence_bert_config.json"):
        assert (fp32_folder / name).is_file(), name
    metadata = json.loads((fp32_folder / METADATA_FILE).read_text())
    assert metadata["quantization"] is None and metadata["openvino_version"]
    assert metadata["pooling"] == "cls"


def test_static_int8_is_close_and_does_not_depend_on_the_batch(
    onnx_path: Path, int8_folder: Path
) -> None:
    metadata = json.loads((int8_folder / METADATA_FILE).read_text())
    assert metadata["quantization"] == QUANTIZATION
    xml = (int8_folder / OPENVINO_MODEL_FILE).read_text()
    assert "FakeQuantize" in xml or "FakeConvert" in xml  # the quantised graph, not a copy
    encoder = OpenVinoEncoder.load(int8_folder, precision="f32")
    together = encoder.encode(SENTENCES, batch_size=len(SENTENCES))
    alone = np.concatenate([encoder.encode([sentence]) for sentence in SENTENCES])
    assert compare_rows(together, alone)["max_abs_difference"] < 1e-4
    # int8: each row is nearest its own f32 row (this model's rows differ per sentence)
    reference = OnnxEncoder.load(onnx_path).encode(SENTENCES)
    unit, unit_reference = (a / np.linalg.norm(a, axis=1)[:, None] for a in (together, reference))
    nearest = (unit @ unit_reference.T).argmax(axis=1)
    np.testing.assert_array_equal(nearest, np.arange(len(SENTENCES)))
    assert compare_rows(reference, together)["min_cosine"] > 0.99


def test_load_encoder_picks_openvino_for_its_folder_and_file(fp32_folder: Path) -> None:
    for path in (fp32_folder, fp32_folder / OPENVINO_MODEL_FILE):
        encoder = load_encoder(path)
        assert isinstance(encoder, OpenVinoEncoder)
        assert encoder.dimension == encoder.encode(["a cat ."]).shape[1]
    with pytest.raises(ValueError, match="only pooling='cls'"):
        load_encoder(fp32_folder, pooling="mean")


def test_cache_identity_names_the_folder_and_the_precision(
    fp32_folder: Path, int8_folder: Path
) -> None:
    f32 = OpenVinoEncoder.load(fp32_folder, precision="f32").cache_identities()
    assert f32[0]["inference_precision"] == "f32"
    assert OpenVinoEncoder.load(int8_folder, precision="f32").cache_identities() != f32


def test_bad_files_get_one_line_errors(tmp_path: Path, fp32_folder: Path) -> None:
    with pytest.raises(FileNotFoundError, match="model not found"):
        OpenVinoEncoder.load(tmp_path / "missing.xml")
    broken = tmp_path / "broken.xml"
    broken.write_text("<net> not a model")
    with pytest.raises(ValueError, match="not an OpenVINO model"):
        OpenVinoEncoder.load(broken)


def test_console_export_checks_parity(
    onnx_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sentences = tmp_path / "sentences.txt"
    sentences.write_text("\n".join(SENTENCES) + "\n\n")
    output = tmp_path / "openvino"
    command = ["export-openvino", "--onnx", str(onnx_path), "--output", str(output)]
    assert main([*command, "--sentences", str(sentences)]) == 0
    assert f"against ONNX Runtime on {len(SENTENCES)} sentences" in capsys.readouterr().out
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")
    assert main([*command, "--sentences", str(empty)]) == 2
    assert f"{empty}: no sentences" in capsys.readouterr().err


def test_console_export_of_a_damaged_onnx_file_fails_in_one_line(
    onnx_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = shutil.copytree(onnx_path.parent.parent, tmp_path / "export")
    damaged = export / onnx_path.relative_to(onnx_path.parent.parent)
    damaged.write_bytes(damaged.read_bytes()[: damaged.stat().st_size // 2])
    sentences = tmp_path / "sentences.txt"
    sentences.write_text("\n".join(SENTENCES) + "\n")
    output = tmp_path / "openvino"
    argv = ["export-openvino", "--onnx", str(export), "--output", str(output)]
    assert main([*argv, "--sentences", str(sentences)]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"jtcse: error: {damaged}: not an ONNX model that OpenVINO reads (")
    assert not output.exists()
