"""Convert an ONNX export (:mod:`jtcse.export.onnx`) to OpenVINO, float32 or static int8.

The OpenVINO folder keeps the ONNX export's graph, tokenizer and configuration files, laid out
as sentence-transformers' OpenVINO backend loads it (``openvino/openvino_model.xml`` and
``.bin``); :class:`jtcse.encoding.openvino_runtime.OpenVinoEncoder` encodes with its
``sentence_embedding``. The int8 copy is quantised by NNCF's post-training quantisation with
the transformer preset: weights and activations of the matrix products in int8, each
activation scale fixed beforehand from the activations of calibration sentences (static), so
unlike ONNX Runtime's dynamic int8 a sentence's vector does not depend on the sentences
batched with it.

Example:
    >>> onnx_file = export_onnx("data/06_models/student", Path("data/06_models/student_onnx"))
    >>> export_openvino(onnx_file, Path("data/06_models/student_openvino_int8"), corpus[:300])
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import openvino
from transformers import AutoTokenizer

from jtcse.atomic import replace_folder_atomically
from jtcse.encoding.onnx_runtime import OnnxEncoder, check_model_file
from jtcse.encoding.openvino_runtime import OpenVinoEncoder, read_model
from jtcse.export.onnx import compare_rows, copy_export_files
from jtcse.modeling.folders import ONNX_MODEL_FILE, OPENVINO_MODEL_FILE, onnx_export_folder

QUANTIZATION = "static int8 (NNCF post-training quantisation, transformer preset)"
CALIBRATION_SENTENCES = 300  # NNCF's default calibration subset size


def export_openvino(
    onnx_path: str | Path, output_dir: Path, calibration: Sequence[str] | None = None
) -> Path:
    """Convert the float32 ONNX export ``onnx_path`` (its ``.onnx`` file or folder) into
    ``output_dir/openvino/openvino_model.xml``; with ``calibration`` sentences (at most
    :data:`CALIBRATION_SENTENCES` are used), quantise it to static int8 (see the module).

    The whole ``output_dir`` is replaced atomically. Returns the path of the ``.xml`` file;
    raises ValueError naming ``onnx_path`` for a file that OpenVINO cannot read.
    """
    onnx_path = Path(onnx_path)
    if onnx_path.is_dir():
        onnx_path = onnx_path / ONNX_MODEL_FILE
    check_model_file(onnx_path)
    source = onnx_export_folder(onnx_path)
    model = read_model(openvino.Core(), onnx_path, "an ONNX model that OpenVINO reads")
    if calibration is not None:
        model = quantize_static_int8(model, source, calibration)

    def write(folder: Path) -> None:
        (folder / OPENVINO_MODEL_FILE).parent.mkdir(parents=True)
        openvino.save_model(model, str(folder / OPENVINO_MODEL_FILE), compress_to_fp16=False)
        copy_export_files(
            source,
            folder,
            {
                "openvino_version": openvino.__version__,
                "quantization": QUANTIZATION if calibration is not None else None,
            },
        )

    return replace_folder_atomically(output_dir, write) / OPENVINO_MODEL_FILE


def quantize_static_int8(
    model: openvino.Model, export_folder: Path, calibration: Sequence[str]
) -> openvino.Model:
    """``model`` quantised by ``nncf.quantize`` (transformer preset), its activation scales
    calibrated on the first :data:`CALIBRATION_SENTENCES` of ``calibration``, each tokenised
    alone by the tokenizer of ``export_folder``."""
    import nncf

    sentences = list(calibration)[:CALIBRATION_SENTENCES]
    if not sentences:
        raise ValueError("calibration: no sentences to calibrate the int8 scales on")
    tokenizer = AutoTokenizer.from_pretrained(export_folder)
    names = {name for port in model.inputs for name in port.get_names()}
    feeds = [
        {
            key: value
            for key, value in tokenizer(sentence, return_tensors="np").items()
            if key in names
        }
        for sentence in sentences
    ]
    return nncf.quantize(
        model,
        nncf.Dataset(feeds),
        model_type=nncf.ModelType.TRANSFORMER,
        subset_size=len(feeds),
    )


def openvino_parity(
    onnx_path: str | Path, openvino_path: str | Path, sentences: Sequence[str]
) -> dict[str, float]:
    """Compare the ONNX Runtime [CLS] embeddings of ``onnx_path`` with the OpenVINO ones of
    ``openvino_path`` compiled in f32 (:func:`~jtcse.export.onnx.compare_rows`)."""
    sentences = list(sentences)
    if not sentences:
        raise ValueError("sentences must not be empty")
    reference = OnnxEncoder.load(onnx_path).encode(sentences)
    converted = OpenVinoEncoder.load(openvino_path, precision="f32").encode(sentences)
    return compare_rows(reference, converted)
