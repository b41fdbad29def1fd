"""Wall seconds of the default chain's ``evaluation`` stage: cold, warm, and after a
student-only change.

Works on a copy of the project in a temporary folder (conf, src, pyproject.toml and the data
the stages read: ``data/03_primary``, ``data/05_model_input``, ``data/06_models``), so the
project's own data and embedding cache are untouched. Three timed runs of
``kedro run --pipelines evaluation``, each a whole process:

1. ``cold``: an empty embedding cache;
2. ``warm``: the same again, every row from the cache;
3. ``student_changed``: after the student is retrained with another seed and re-exported
   (``distillation`` and ``onnx_export``, not timed), as ``dvc repro`` would after a change of
   the distillation: the student's rows (PyTorch fp32 and bf16, ONNX, int8) are encoded again,
   the others read from the cache.

It checks that every row other than the student's is the same in the three tables, and writes
the seconds, the targets of the evaluation-engine issue (cold <= 120 s, after a student-only
change <= 30 s) and each run's STS-7 avg per row to ``results/evaluation_stage.json``. Run it
after ``dvc repro`` with nothing else running::

    python benchmarks/evaluation_stage.py
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from jtcse.atomic import write_json_atomic
from timed_process import timed_run

PROJECT_ROOT = Path(__file__).resolve().parents[1]
COPIED = (
    "conf",
    "src",
    "pyproject.toml",
    "data/03_primary",
    "data/05_model_input",
    "data/06_models",
)
STUDENT_ROWS = ("student", "student_bf16", "student_onnx", "student_onnx_int8")
TARGETS = {"cold": 120.0, "student_changed": 30.0}


def _copy_project(target: Path) -> None:
    for name in COPIED:
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("local", "*.pyc"))
        else:
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    (target / "conf" / "local").mkdir(exist_ok=True)
    for folder in ("data/07_model_output", "data/08_reporting"):
        (target / folder).mkdir(parents=True, exist_ok=True)
    # the MLflow database is created (its migrations run) here, not inside the timed runs
    subprocess.run(
        [sys.executable, "-c", "import mlflow; mlflow.search_experiments()"],
        cwd=target,
        env=os.environ | {"MLFLOW_TRACKING_URI": "sqlite:///mlflow.db"},
        check=True,
        capture_output=True,
    )


def _kedro(project: Path, *arguments: str) -> float:
    """Run ``kedro run ARGUMENTS`` in ``project``; return its wall seconds."""
    environment = os.environ | {
        "MLFLOW_TRACKING_URI": "sqlite:///mlflow.db",
        "KEDRO_DISABLE_TELEMETRY": "1",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    kedro = Path(sys.executable).with_name("kedro")
    return timed_run([str(kedro), "run", *arguments], project, environment)


def _avgs(project: Path) -> dict[str, float]:
    results = json.loads((project / "data/08_reporting/sts_results.json").read_text())
    return {row: scores["avg"] for row, scores in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7, help="the retrained student's seed")
    parser.add_argument(
        "--output", type=Path, default=PROJECT_ROOT / "benchmarks/results/evaluation_stage.json"
    )
    args = parser.parse_args()
    if not (PROJECT_ROOT / "data/06_models/student_onnx_int8").is_dir():
        raise SystemExit("run `dvc repro` first: data/06_models has no chain outputs")

    seconds: dict[str, float] = {}
    avgs: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="jtcse-evaluation-stage-") as folder:
        project = Path(folder)
        _copy_project(project)
        for run in ("cold", "warm"):
            seconds[run] = _kedro(project, "--pipelines", "evaluation")
            avgs[run] = _avgs(project)
        _kedro(
            project,
            "--pipelines",
            "distillation",
            "--params",
            f"distillation.training.seed={args.seed}",
        )
        _kedro(project, "--pipelines", "onnx_export")
        seconds["student_changed"] = _kedro(project, "--pipelines", "evaluation")
        avgs["student_changed"] = _avgs(project)

    others = [row for row in avgs["cold"] if row not in STUDENT_ROWS]
    unchanged = all(
        avgs[run][row] == avgs["cold"][row] for run in ("warm", "student_changed") for row in others
    )
    result = {
        "benchmark": "evaluation_stage",
        "seconds": seconds,
        "targets_seconds": TARGETS,
        "meets_targets": {run: seconds[run] <= limit for run, limit in TARGETS.items()},
        "rows": len(avgs["cold"]),
        "other_rows_unchanged": unchanged,
        "warm_equals_cold": avgs["warm"] == avgs["cold"],
        "student_avg": {run: {row: avgs[run][row] for row in STUDENT_ROWS} for run in avgs},
        "load_average_after": os.getloadavg(),
    }
    print(json.dumps(result, indent=2))
    write_json_atomic(args.output, result)
    if not unchanged:
        raise SystemExit("rows other than the student's changed between runs")


if __name__ == "__main__":
    main()
