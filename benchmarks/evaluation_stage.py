"""Seconds of the ``evaluation`` stage: cold, warm, and after only the student changed.

Runs ``kedro run --pipelines evaluation`` (the command of the DVC stage) in a project tree
whose default chain has finished (``--project``, default this one):

1. ``cold``: the embedding cache (``data/07_model_output/embeddings``) emptied first;
2. ``warm``: again, nothing changed (every embedding read from the cache);
3. ``student_changed``: the student's weights changed (one LayerNorm gain times 1 + 1e-3,
   as a retrained student would differ), its ONNX exports made again with
   ``kedro run --pipelines onnx_export`` (not timed), then the stage timed: only the student
   rows (PyTorch fp32 and bf16, ONNX fp32 and int8) are encoded.

The student folder is restored at the end and the ONNX exports are made again from it. Each
run's ``sts_results.json`` is compared with the cold one (every row but the student's must be
equal). Writes ``benchmarks/results/evaluation_stage.json``::

    python benchmarks/evaluation_stage.py --project /path/to/a/finished/clone
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from safetensors.torch import load_file, save_file

PROJECT_ROOT = Path(__file__).resolve().parents[1]
KEDRO = str(Path(sys.executable).with_name("kedro"))
STUDENT_ROWS = ("student", "student_bf16", "student_onnx", "student_onnx_int8")


def kedro_run(project: Path, pipeline: str) -> float:
    """Seconds of one ``kedro run --pipelines PIPELINE`` process in ``project``."""
    environment = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1", "HF_HUB_OFFLINE": "1"}
    environment["PYTHONPATH"] = str(project / "src")
    start = time.perf_counter()
    finished = subprocess.run(
        [KEDRO, "run", "--pipelines", pipeline],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
    )
    if finished.returncode != 0:
        raise RuntimeError(f"kedro run --pipelines {pipeline}:\n{finished.stderr[-3000:]}")
    return time.perf_counter() - start


def perturb_student(student: Path) -> None:
    weights_file = student / "model.safetensors"
    weights = load_file(weights_file)
    name = next(key for key in weights if key.endswith("LayerNorm.weight"))
    weights[name] = weights[name] * (1 + 1e-3)
    save_file(weights, weights_file, metadata={"format": "pt"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--project", type=Path, default=PROJECT_ROOT)
    parser.add_argument(
        "--output", type=Path, default=PROJECT_ROOT / "benchmarks/results/evaluation_stage.json"
    )
    args = parser.parse_args()
    project = args.project.resolve()
    results_file = project / "data/08_reporting/sts_results.json"
    student = project / "data/06_models/student"
    shutil.rmtree(project / "data/07_model_output/embeddings", ignore_errors=True)

    seconds, tables = {}, {}
    for name in ("cold", "warm"):
        seconds[name] = kedro_run(project, "evaluation")
        tables[name] = json.loads(results_file.read_text())
        print(f"{name}: {seconds[name]:.1f} s", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        backup = Path(scratch) / "student"
        shutil.copytree(student, backup)
        try:
            perturb_student(student)
            kedro_run(project, "onnx_export")
            seconds["student_changed"] = kedro_run(project, "evaluation")
            tables["student_changed"] = json.loads(results_file.read_text())
            print(f"student_changed: {seconds['student_changed']:.1f} s", flush=True)
        finally:
            shutil.rmtree(student)
            shutil.copytree(backup, student)
            kedro_run(project, "onnx_export")
    kedro_run(project, "evaluation")  # the table of the restored student again

    unchanged = {
        name: all(table[row] == tables["cold"][row] for row in table if row not in STUDENT_ROWS)
        for name, table in tables.items()
    }
    print(f"rows other than the student's equal to the cold run: {unchanged}")
    from jtcse.atomic import write_json_atomic

    write_json_atomic(
        args.output,
        {
            "benchmark": "evaluation_stage",
            "command": "kedro run --pipelines evaluation",
            "seconds": seconds,
            "ratio_cold_over_warm": seconds["cold"] / seconds["warm"],
            "ratio_cold_over_student_changed": seconds["cold"] / seconds["student_changed"],
            "other_rows_unchanged": unchanged,
            "sts_avg": {name: {row: t[row]["avg"] for row in t} for name, t in tables.items()},
        },
    )
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
