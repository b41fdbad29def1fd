"""The command line, ``python -m jtcse.reporting.results_pages [--check | --record-machine
FOLDER]`` (see the package). Here rather than in ``__main__.py`` so that the package can
re-export :func:`main` without ``python -m`` importing that module twice."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from jtcse.reporting.results_pages.machines import MACHINE_FILE, record_machine
from jtcse.reporting.results_pages.pages import stale_files, write_pages
from jtcse.reporting.results_pages.reading import COMMAND, ResultsError
from jtcse.reporting.results_pages.readme import README


def main(argv: Sequence[str] | None = None) -> int:
    """Write the pages and the README's headline (``--check``: only compare them, exit 1 where
    one is out of date; ``--record-machine FOLDER``: only write ``FOLDER/machine.json``);
    0 on success, 1 on an out-of-date file or a :class:`ResultsError`."""
    parser = argparse.ArgumentParser(
        prog=COMMAND,
        description="Write the Results and Benchmarks pages' tables and the README's headline "
        "from the result files under benchmarks/results/.",
        epilog=f"Examples: {COMMAND}; {COMMAND} --check; "
        f"{COMMAND} --record-machine benchmarks/results/zero_shot/quick",
    )
    parser.add_argument("--project", type=Path, default=Path.cwd(), help="the project root")
    parser.add_argument(
        "--readme",
        type=Path,
        default=None,
        help="the README whose headline region to write or check (default: README.md of the "
        "project; left alone without the markers)",
    )
    parser.add_argument("--check", action="store_true", help="fail if a file is out of date")
    parser.add_argument(
        "--record-machine",
        type=Path,
        metavar="FOLDER",
        help=f"write this machine's CPU to FOLDER/{MACHINE_FILE} and stop",
    )
    args = parser.parse_args(argv)
    readme = args.readme if args.readme is not None else args.project / README
    try:
        if args.record_machine is not None:
            print(f"wrote {record_machine(args.record_machine)}")
            return 0
        if args.check:
            stale = stale_files(args.project, readme)
            for path in stale:
                print(f"{path} is out of date: run `{COMMAND}`", file=sys.stderr)
            return 1 if stale else 0
        for path in write_pages(args.project, readme):
            print(f"wrote {path}")
    except ResultsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0
