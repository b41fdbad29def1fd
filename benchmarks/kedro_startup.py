"""Seconds a ``kedro`` command takes before any node runs, for one or several project trees.

For each tree (``--project DIR``, default: this one) the commands ``kedro registry list`` and
``kedro run --pipelines data_preparation --tags no-such-tag`` (a run whose filtered pipeline is
empty: Kedro starts its session, loads the settings, hooks and pipeline registry, then stops
with "Pipeline contains no nodes" before any node)
run ``--repeats`` times, interleaved over the trees (A, B, A, B, ...), each in a fresh process
with that tree's ``src`` first on ``PYTHONPATH``. Also reported: whether ``import torch``
happened during ``kedro registry list`` (``python -X importtime``). Prints the medians and the
ratio of each tree to the first, and writes ``benchmarks/results/kedro_startup.json``.

Example (before/after a change: a clone of the old commit beside this one)::

    git clone -q . /tmp/before && git -C /tmp/before checkout -q OLD_COMMIT
    python benchmarks/kedro_startup.py --project /tmp/before --project . --repeats 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT / "src"))

from jtcse.atomic import write_json_atomic  # noqa: E402

KEDRO = str(Path(sys.executable).with_name("kedro"))
COMMANDS = {
    "registry_list": [KEDRO, "registry", "list"],
    "empty_run": [KEDRO, "run", "--pipelines", "data_preparation", "--tags", "no-such-tag"],
}


def _environment(project: Path) -> dict[str, str]:
    environment = dict(os.environ, KEDRO_DISABLE_TELEMETRY="1", HF_HUB_OFFLINE="1")
    environment["PYTHONPATH"] = str(project / "src")
    return environment


def _seconds(command: list[str], project: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        command, cwd=project, env=_environment(project), capture_output=True, check=False
    )
    return time.perf_counter() - start


def _imports_torch(project: Path) -> bool:
    probe = subprocess.run(
        [sys.executable, "-X", "importtime", KEDRO, "registry", "list"],
        cwd=project,
        env=_environment(project),
        capture_output=True,
        text=True,
        check=True,
    )
    return any(line.split("|")[-1].strip() == "torch" for line in probe.stderr.splitlines())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", action="append", type=Path, help="project tree (repeat)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--output", type=Path, default=PROJECT_ROOT / "benchmarks/results/kedro_startup.json"
    )
    args = parser.parse_args()
    projects = [project.resolve() for project in (args.project or [PROJECT_ROOT])]
    times: dict[str, dict[str, list[float]]] = {str(p): {c: [] for c in COMMANDS} for p in projects}
    for _ in range(args.repeats):
        for name, command in COMMANDS.items():
            for project in projects:
                times[str(project)][name].append(_seconds(command, project))
    first = str(projects[0])
    results = {}
    for project in projects:
        key = str(project)
        medians = {name: statistics.median(values) for name, values in times[key].items()}
        results[key] = {
            "median_seconds": medians,
            "all_seconds": times[key],
            "ratio_to_first": {
                name: medians[name] / statistics.median(times[first][name]) for name in COMMANDS
            },
            "registry_list_imports_torch": _imports_torch(project),
        }
        print(
            f"{key}: "
            + ", ".join(f"{name} {value:.2f} s" for name, value in medians.items())
            + f"; imports torch: {results[key]['registry_list_imports_torch']}"
        )
    write_json_atomic(args.output, {"repeats": args.repeats, "projects": results})
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
