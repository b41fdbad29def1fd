"""Does sentence-transformers' ONNX backend load our ONNX export and give its vectors?

Run with an interpreter whose environment has ``sentence-transformers[onnx]`` (optimum-onnx
0.1.0 requires transformers < 4.58, so not the project's locked environment), e.g.::

    python3 -m venv /tmp/st-onnx-env
    /tmp/st-onnx-env/bin/pip install torch==2.13.0 "transformers<4.58" "sentence-transformers[onnx]"
    /tmp/st-onnx-env/bin/python benchmarks/st_onnx_backend.py --model data/06_models/student_onnx

It encodes the first ``--sentences`` distinct STS-B dev sentences with
``SentenceTransformer(folder, backend="onnx")`` and, as the reference, with ONNX Runtime
directly on the folder's ``onnx/model.onnx`` (its ``sentence_embedding`` output, the [CLS]
vector, tokenised at the folder's ``max_seq_length``), and writes the largest absolute
difference and the smallest cosine between the two to ``results/st_onnx_backend.json``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
from pathlib import Path

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _dev_sentences(data_root: Path, count: int) -> list[str]:
    """The first ``count`` distinct sentences of SentEval's STS-B dev file."""
    path = data_root / "senteval" / "STS" / "STSBenchmark" / "sts-dev.csv"
    sentences: dict[str, None] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            sentences.update(dict.fromkeys(row[5:7]))
            if len(sentences) >= count:
                break
    return list(sentences)[:count]


def _onnx_runtime_vectors(folder: Path, sentences: list[str]) -> np.ndarray:
    import onnxruntime
    from transformers import AutoTokenizer

    settings = json.loads((folder / "sentence_bert_config.json").read_text())
    tokenizer = AutoTokenizer.from_pretrained(folder)
    batch = tokenizer(
        sentences,
        padding=True,
        truncation=True,
        max_length=settings["max_seq_length"],
        return_tensors="np",
    )
    session = onnxruntime.InferenceSession(str(folder / "onnx" / "model.onnx"))
    feed = {name: batch[name].astype(np.int64) for name in ("input_ids", "attention_mask")}
    return session.run(["sentence_embedding"], feed)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=PROJECT_ROOT / "data/06_models/student_onnx")
    parser.add_argument("--data", type=Path, default=None, help="data root (../shared/data)")
    parser.add_argument("--sentences", type=int, default=256)
    parser.add_argument(
        "--output", type=Path, default=PROJECT_ROOT / "benchmarks/results/st_onnx_backend.json"
    )
    args = parser.parse_args()
    data_root = args.data or Path(
        os.environ.get("JTCSE_DATA_ROOT", PROJECT_ROOT.parent / "shared/data")
    )

    import sentence_transformers
    import transformers
    from sentence_transformers import SentenceTransformer

    sentences = _dev_sentences(data_root, args.sentences)
    model = SentenceTransformer(str(args.model), backend="onnx", device="cpu")
    ours = model.encode(sentences, batch_size=64, convert_to_numpy=True)
    reference = _onnx_runtime_vectors(args.model, sentences)
    cosines = (ours * reference).sum(1) / (
        np.linalg.norm(ours, axis=1) * np.linalg.norm(reference, axis=1)
    )
    result = {
        "benchmark": "st_onnx_backend",
        "model": str(
            args.model.relative_to(PROJECT_ROOT) if args.model.is_absolute() else args.model
        ),
        "sentence_transformers": sentence_transformers.__version__,
        "transformers": transformers.__version__,
        "sentences": len(sentences),
        "shape": list(ours.shape),
        "max_abs_difference": float(np.abs(ours - reference).max()),
        "min_cosine": float(cosines.min()),
    }
    print(json.dumps(result, indent=2))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    temporary = args.output.with_suffix(".tmp")
    temporary.write_text(json.dumps(result, indent=2) + "\n")
    temporary.replace(args.output)


if __name__ == "__main__":
    main()
