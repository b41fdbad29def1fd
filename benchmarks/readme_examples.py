"""Run the README's examples and record what they print, for the generator to write back.

Every region ``<!-- example:NAME -->`` ... ``<!-- /example -->`` of ``README.md``
(:mod:`jtcse.reporting.results_pages.examples`) holds a Python block or a console session.
Each runs from the project root as a reader would run it after the README's first command:
Python code as ``python -c CODE`` with this interpreter, console commands one by one with
``bash -c`` and this interpreter's ``bin`` first on ``PATH``, offline (``HF_HUB_OFFLINE=1``).
What each prints on standard output (trailing blank space removed) is recorded with its code
and the CPU in ``benchmarks/results/readme_examples.json``; files an example writes in the
project root (``sentences.txt``, ``vectors.npy``) are removed afterwards. A command that fails
stops the run, naming it. Then ``python -m jtcse.reporting.results_pages`` writes the outputs
into the README. Needs the trained student (``dvc repro``)::

    python benchmarks/readme_examples.py
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from jtcse.atomic import write_json_atomic
from jtcse.reporting.results_pages import cpu_description
from jtcse.reporting.results_pages.examples import EXAMPLES_FILE, Example, readme_examples

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def run_example(example: Example, environment: dict[str, str]) -> list[str]:
    """What each command of ``example`` prints, run from the project root."""
    outputs = []
    for command in example.commands:
        argv = (
            [sys.executable, "-c", command]
            if example.language == "python"
            else ["bash", "-c", command]
        )
        finished = subprocess.run(
            argv, cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True
        )
        if finished.returncode != 0:
            raise SystemExit(
                f"example {example.name!r}: {command!r} exited with {finished.returncode}:\n"
                f"{finished.stderr[-2000:]}"
            )
        outputs.append(finished.stdout.rstrip())
    return outputs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readme", type=Path, default=PROJECT_ROOT / "README.md")
    parser.add_argument("--output", type=Path, default=PROJECT_ROOT / EXAMPLES_FILE)
    args = parser.parse_args(argv)
    examples = readme_examples(args.readme.read_text(encoding="utf-8"), str(args.readme))
    bin_folder = str(Path(sys.executable).parent)
    environment = {
        **os.environ,
        "PATH": f"{bin_folder}{os.pathsep}{os.environ.get('PATH', '')}",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    before = set(PROJECT_ROOT.iterdir())
    recorded = {}
    try:
        for example in examples:
            outputs = run_example(example, environment)
            recorded[example.name] = {
                "language": example.language,
                "code": example.code,
                "outputs": outputs,
            }
            print(f"{example.name}: {len(outputs)} command(s) run", flush=True)
    finally:
        for path in set(PROJECT_ROOT.iterdir()) - before:
            if path.is_file():
                path.unlink()
    write_json_atomic(args.output, {"examples": recorded, "cpu": cpu_description()})
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
