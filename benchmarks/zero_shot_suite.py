"""Wall time of the whole offline zero-shot (mteb) suite, per task, for one or more encoders.

Converts the local task copies (``jtcse.data.mteb_layout``) and runs every task of
``conf/base/parameters_zero_shot.yml`` for the encoders of that file named by ``--encoder``
(default ``base_mean``; repeat it for more, run in the order given; the trained encoders read
the chain's folders under ``data/06_models``) through
:func:`jtcse.evaluation.zero_shot.evaluate_zero_shot`, with an empty embedding cache, in one
process: the first encoder of a model encodes every sentence (a cold run); a later encoder of
another pooling of the same model and precision reads the rows of that forward pass from the
cache. ``--bf16`` runs every chosen encoder in bfloat16 (overriding a spec's ``bf16: false``);
``--suite`` runs another list than that file's ``tasks`` (``full``: every local task and the
seven SentEval transfer tasks; reading those is counted in the conversion seconds), ``--task``
only the named tasks of it.
Printed and written to ``benchmarks/results/zero_shot_suite.json`` (``--output``): per
encoder and task mteb's main score and its evaluation seconds (mteb's ``evaluation_time``:
encoding and classifier fits), the conversion seconds, the total wall seconds (model loads
and task loading included) and the target (the whole suite for one encoder in at most 300 s).

Run from the project root (tens of minutes on 2 shared CPU cores)::

    python benchmarks/zero_shot_suite.py --encoder base_cls --encoder base_mean --bf16
    python benchmarks/zero_shot_suite.py --encoder jtcse_decoupled --suite full \
        --output zero_shot_suite_jtcse.json
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import yaml

from jtcse.atomic import write_json_atomic
from jtcse.data.mteb_layout import READERS, write_task_folders
from jtcse.paths import data_root

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = PROJECT_ROOT / "benchmarks" / "results"
PARAMETERS = PROJECT_ROOT / "conf" / "base" / "parameters_zero_shot.yml"
TARGET_SECONDS = 300.0


def _chain_folders() -> dict[str, str]:
    """The chain's model folders by catalog name (``data/06_models/<name>``, those present),
    for encoders of the trained models (run ``dvc repro`` first)."""
    models = PROJECT_ROOT / "data" / "06_models"
    return {folder.name: str(folder) for folder in sorted(models.iterdir()) if folder.is_dir()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--encoder", action="append", help="a name of zero_shot.encoders")
    parser.add_argument("--task", action="append", help="only these tasks (default: all)")
    parser.add_argument("--bf16", action="store_true", help="every encoder in bfloat16")
    parser.add_argument(
        "--suite", help="a suite of jtcse.evaluation.specs.TASK_SUITES (default: the file's)"
    )
    parser.add_argument(
        "--output", default="zero_shot_suite.json", help="file name under benchmarks/results"
    )
    arguments = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    from jtcse.data.senteval_transfer import read_transfer_tasks
    from jtcse.encoding.cache import EmbeddingCache
    from jtcse.evaluation.task_suites import TaskList, parse_tasks
    from jtcse.evaluation.zero_shot import evaluate_zero_shot

    parameters = yaml.safe_load(PARAMETERS.read_text())["zero_shot"]
    names = arguments.encoder or ["base_mean"]
    unknown = [name for name in names if name not in parameters["encoders"]]
    if unknown:
        parser.error(f"--encoder: {unknown[0]!r} is not in {PARAMETERS}")
    encoders = {name: dict(parameters["encoders"][name]) for name in names}
    if arguments.bf16:
        encoders = {name: spec | {"bf16": True} for name, spec in encoders.items()}
    tasks = parse_tasks(arguments.suite or parameters["tasks"])
    if arguments.task:
        tasks = TaskList(
            [task for task in tasks.mteb if task.name in arguments.task],
            [task for task in tasks.transfer if task in arguments.task],
        )
    load_before = os.getloadavg()  # other jobs on the machine inflate every second below
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="zero-shot-suite-") as work:
        local = [task.name for task in tasks.mteb if task.name in READERS]
        folders = write_task_folders(data_root(PROJECT_ROOT), Path(work) / "tasks", local)
        transfer_data = (
            read_transfer_tasks(data_root(PROJECT_ROOT) / "senteval", tasks.transfer)
            if tasks.transfer
            else None
        )
        converted = time.perf_counter() - start
        table = evaluate_zero_shot(
            encoders,
            tasks,
            folders,
            Path(work) / "mteb",
            cache=EmbeddingCache(Path(work) / "embeddings"),
            bf16=parameters.get("bf16", False),
            batch_size=parameters.get("batch_size", 128),
            model_folders=_chain_folders(),
            transfer_data=transfer_data,
        )
    total = time.perf_counter() - start
    rows = table.to_dict("records")
    for row in rows:
        print(f"{row['encoder']:<12} {row['task']:<48} {row['score']:.4f} {row['seconds']:8.1f} s")
    # a per-subset task's rows ("Name (subset)") each carry the whole task's seconds: once
    tasks_run = table.assign(run=table["task"].str.replace(r" \(.*\)$", "", regex=True))
    tasks_run = tasks_run.drop_duplicates(["encoder", "run"])
    seconds = tasks_run.groupby("encoder", sort=False)["seconds"].sum().to_dict()
    print(f"conversion {converted:.1f} s, total {total:.1f} s, tasks per encoder {seconds}")
    result = {
        "encoders": encoders,
        "bf16_default": parameters.get("bf16", False),
        "tasks": rows,
        "task_seconds_per_encoder": seconds,
        "conversion_seconds": converted,
        "total_seconds": total,
        "target_seconds": TARGET_SECONDS,
        "first_encoder_meets_target": seconds[names[0]] <= TARGET_SECONDS,
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
    }
    path = RESULTS_DIR / arguments.output
    write_json_atomic(path, result)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
