"""Wall time of the default chain from a fresh clone, stage by stage (``dvc repro``).

Clones the project's committed ``HEAD`` into a sibling folder (beside the project, so that the
data root ``../shared/data`` of ``conf/base/globals.yml`` resolves as in the project), then
runs every stage of its ``dvc.yaml`` in the file's order (the dependency order
``python -m jtcse.chain dvc-yaml`` writes) with ``dvc repro --single-item <stage>``: the same
work as one ``dvc repro``, timed per stage (Kedro's start-up included). The clone's own
``src`` comes first on ``PYTHONPATH``, so the code that runs is the committed one even where
this environment has the project installed in editable mode. Stages that fail stop the run.

Printed and written to ``benchmarks/results/chain_timing.json`` after every stage: seconds per
stage, the total, the target (``--target-minutes``, 20), the CPU (its model, bfloat16 flags,
number of CPUs and architecture: ``jtcse.reporting.results_pages.cpu_description``, as every
result file records it), and the load averages before and after (other jobs on the machine
inflate every second).

Run from the project root, on an otherwise idle machine::

    python benchmarks/chain_timing.py
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

from jtcse.atomic import write_json_atomic
from jtcse.reporting.results_pages import cpu_description

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RESULTS = PROJECT_ROOT / "benchmarks" / "results" / "chain_timing.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--clone",
        type=Path,
        default=PROJECT_ROOT.parent / "jtcse-chain-timing",
        help="where to clone (replaced; default: beside the project)",
    )
    parser.add_argument("--target-minutes", type=float, default=20.0)
    parser.add_argument("--output", type=Path, default=RESULTS)
    arguments = parser.parse_args()
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    if arguments.clone.exists():
        shutil.rmtree(arguments.clone)
    subprocess.run(["git", "clone", "-q", str(PROJECT_ROOT), str(arguments.clone)], check=True)
    stages = list(yaml.safe_load((arguments.clone / "dvc.yaml").read_text())["stages"])
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(arguments.clone / "src"), os.environ.get("PYTHONPATH")])
        ),
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
        "KEDRO_DISABLE_TELEMETRY": "1",
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    load_before = os.getloadavg()
    seconds: dict[str, float] = {}
    failed = None
    for stage in stages:
        start = time.perf_counter()
        log = arguments.clone / f"timing_{stage}.log"
        with log.open("w") as output:
            done = subprocess.run(
                ["dvc", "repro", "--single-item", stage],
                cwd=arguments.clone,
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        seconds[stage] = time.perf_counter() - start
        print(f"{stage:<24} {seconds[stage]:8.1f} s", flush=True)
        if done.returncode:
            failed = stage
            print(f"{stage} failed (exit {done.returncode}); its log: {log}", file=sys.stderr)
        total = sum(seconds.values())
        # written after every stage: a run stopped early still leaves its seconds
        write_json_atomic(
            arguments.output,
            {
                "benchmark": "chain_timing",
                "commit": head,
                "stages": seconds,
                "completed": len(seconds) == len(stages) and failed is None,
                "failed_stage": failed,
                "total_seconds": total,
                "target_seconds": arguments.target_minutes * 60,
                "meets_target": total <= arguments.target_minutes * 60,
                "cpu": cpu_description(),
                "load_average_before": load_before,
                "load_average_after": os.getloadavg(),
            },
        )
        if failed:
            break
    print(f"total {total:.0f} s ({total / 60:.1f} min); wrote {arguments.output}")


if __name__ == "__main__":
    main()
