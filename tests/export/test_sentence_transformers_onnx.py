"""The ONNX export as sentence-transformers' ONNX backend reads it: the file it finds, the
output it pools, the pooling it applies, and the vectors that gives."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch
from sentence_transformers.backend.utils import backend_should_export
from transformers import AutoTokenizer

from jtcse.encoding.onnx_runtime import OnnxEncoder
from jtcse.export.onnx import HIDDEN_STATES_NAME, export_onnx
from jtcse.modeling.folders import ONNX_MODEL_FILE

SENTENCES = [
    "a man is playing a guitar .",
    "a",
    "an old man is reading a newspaper on a bench .",
    " ".join(["the cat sits on the mat"] * 30),  # longer than the 128 positions: truncated
]


@pytest.fixture(scope="module")
def export_folder(distinct_bert_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The export of a model whose rows differ per sentence, so that per-row checks see order."""
    return export_onnx(distinct_bert_path, tmp_path_factory.mktemp("export") / "st").parents[1]


def test_sentence_transformers_finds_the_onnx_file_without_exporting(export_folder) -> None:
    export, options = backend_should_export(
        export_folder, True, {}, Path(ONNX_MODEL_FILE).name, "*.onnx", "ONNX"
    )
    assert export is False  # it loads the file as it is
    assert Path(options["subfolder"], options["file_name"]).as_posix() == ONNX_MODEL_FILE


def test_its_pooling_of_the_hidden_states_gives_the_onnx_runtime_vectors(export_folder) -> None:
    """What ``SentenceTransformer(folder, backend="onnx")`` computes, from the folder's files:
    its tokenizer at ``max_seq_length``, the graph's ``last_hidden_state``, then the Pooling
    module of ``modules.json``; against :class:`OnnxEncoder`, which reads the [CLS] output."""
    from sentence_transformers.sentence_transformer.modules import Pooling

    modules = json.loads((export_folder / "modules.json").read_text())
    assert modules[1]["type"].endswith("Pooling")
    pooling = Pooling.load(str(export_folder), subfolder=modules[1]["path"])
    settings = json.loads((export_folder / "sentence_bert_config.json").read_text())
    tokenizer = AutoTokenizer.from_pretrained(export_folder)
    batch = tokenizer(
        SENTENCES,
        padding=True,
        truncation="longest_first",
        max_length=settings["max_seq_length"],
        return_tensors="np",
    )
    session = onnxruntime.InferenceSession(str(export_folder / ONNX_MODEL_FILE))
    feed = {name: batch[name].astype(np.int64) for name in ("input_ids", "attention_mask")}
    (hidden,) = session.run([HIDDEN_STATES_NAME], feed)
    features = {
        "token_embeddings": torch.from_numpy(hidden),
        "attention_mask": torch.from_numpy(batch["attention_mask"]),
    }
    pooled = pooling(features)["sentence_embedding"].numpy()
    direct = OnnxEncoder.load(export_folder).encode(SENTENCES, batch_size=2)
    np.testing.assert_allclose(pooled, direct, rtol=0, atol=1e-5)


@pytest.mark.skipif(
    importlib.util.find_spec("optimum") is None,
    reason="sentence-transformers' ONNX backend needs optimum[onnxruntime]; its only release "
    "(optimum-onnx 0.1.0) requires transformers < 4.58",
)
def test_sentence_transformer_with_the_onnx_backend_encodes_the_same(export_folder) -> None:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(export_folder), backend="onnx", device="cpu")
    direct = OnnxEncoder.load(export_folder).encode(SENTENCES)
    np.testing.assert_allclose(model.encode(SENTENCES), direct, rtol=0, atol=1e-5)
