"""``python -m jtcse.chain dvc-yaml [--check]``: write (or check) the project's ``dvc.yaml``
files from its pipelines, catalog and parameters; run from the project root."""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from jtcse.chain.dvc_yaml import COMMAND, stale_files, write_files


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jtcse.chain", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("dvc-yaml", help="write dvc.yaml and studies/*/dvc.yaml")
    command.add_argument("--check", action="store_true", help="fail if a file is out of date")
    command.add_argument("--project", type=Path, default=Path.cwd(), help="the project root")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # Kedro's start-up notes would drown the answer
    warnings.simplefilter("ignore")
    if args.check:
        stale = stale_files(args.project)
        for path in stale:
            print(f"{path} is out of date: run `{COMMAND}`", file=sys.stderr)
        return 1 if stale else 0
    for path in write_files(args.project):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
