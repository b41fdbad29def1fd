"""The layout of the generated pages: each heading (:class:`Group`) and the kinds of result
file rendered under it (:class:`Kind`), in page order, and the files no table renders because
they only complete another one. A result file goes to the first kind that matches it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from jtcse.reporting.results_pages import (
    benchmarks,
    encoding_speed,
    regime,
    results,
    zero_shot_tables,
)
from jtcse.reporting.results_pages.examples import EXAMPLES_FILE
from jtcse.reporting.results_pages.formatting import Section
from jtcse.reporting.results_pages.machines import MACHINE_FILE
from jtcse.reporting.results_pages.reading import COMMAND, RESULTS_DIR, ResultFile


def _named(*patterns: str) -> Callable[[ResultFile], bool]:
    """A test of a result file: whether its name (its path under benchmarks/results) fully
    matches one of the regular expressions ``patterns``."""
    compiled = [re.compile(pattern) for pattern in patterns]
    return lambda result: any(p.fullmatch(result.name) for p in compiled)


@dataclass(frozen=True)
class Kind:
    """A kind of result file: which files (``matches``), how to render one, and where a
    missing one is expected (``expected``: a path under benchmarks/results, or a folder
    ending in ``/``, and the command that produces it)."""

    matches: Callable[[ResultFile], bool]
    render: Callable[[ResultFile, Path], Section]
    expected: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Group:
    """A heading of a page (``## title {#anchor}``) with its kinds of result files."""

    page: str
    anchor: str
    title: str
    intro: str
    kinds: tuple[Kind, ...]


GROUPS = (
    Group(
        "results",
        "chain",
        "STS-7 of the default chain",
        "One seed of the default chain (`dvc repro`, `conf/base`).",
        (
            Kind(
                _named(r"chain/sts_results\.json"),
                results.chain_sts,
                (
                    (
                        "chain/sts_results.json",
                        "`dvc repro`, then copy `data/08_reporting/sts_results.json` there "
                        f"and run `{COMMAND} --record-machine benchmarks/results/chain`",
                    ),
                ),
            ),
        ),
    ),
    Group(
        "results",
        "ablation",
        "STS-7 over seeds",
        "The seeded studies: each seed trains its own towers and every joint-training variant "
        "from them ([Pipelines](pipelines.md#studies)); the reports are copied from "
        "`data/08_reporting/<study>/`.",
        (
            Kind(
                results.is_study,
                results.study,
                (
                    ("ablation/ablation.json", "`dvc repro studies/ablation/dvc.yaml`"),
                    ("mlm_regime/mlm_regime.json", "`dvc repro studies/mlm_regime/dvc.yaml`"),
                ),
            ),
        ),
    ),
    Group(
        "results",
        "mlm-pretraining",
        "The MLM base",
        "The base model the `mlm_regime` study starts from, pretrained here with masked language "
        "modelling only ([Pipelines](pipelines.md#studies)).",
        (
            Kind(
                _named(r"mlm_regime/mlm_pretraining\.json"),
                regime.mlm_pretraining,
                (
                    (
                        "mlm_regime/mlm_pretraining.json",
                        "`dvc repro studies/mlm_regime/dvc.yaml`, then "
                        "`python benchmarks/mlm_pretraining_report.py --output "
                        "benchmarks/results/mlm_regime/mlm_pretraining.json`",
                    ),
                ),
            ),
        ),
    ),
    Group(
        "results",
        "cls-attention",
        "The paper's attention argument: [CLS] attention mass per layer",
        "How much attention the tokens put on [CLS], layer by layer, for tower pairs alone and "
        "coupled by JTCSE's cross-attention ([the method](method.md#cross-attention)); "
        "copied from `data/08_reporting/` (the default chain) and "
        "`data/08_reporting/mlm_regime/` (the regime study, its first seed).",
        (Kind(_named(r"(.*/)?cls_attention_mass\.json"), regime.cls_attention_mass),),
    ),
    Group(
        "results",
        "tower-distance",
        "What the coupling acts on: how far apart the two towers are",
        "Value-swap cross-attention gives each tower the other's values; when the towers are "
        "near copies it changes nothing ([the method](method.md#cross-attention)).",
        (
            Kind(
                _named(r"(.*/)?tower_distance.*\.json"),
                regime.tower_distance,
                (("tower_distance.json", "`python benchmarks/tower_distance.py`"),),
            ),
        ),
    ),
    Group(
        "results",
        "zero-shot",
        "Zero-shot",
        "mteb's tasks with their own evaluators ([protocol](evaluation.md#zero-shot)); each "
        "table is the `zero_shot_results.csv` of a run, copied from `data/08_reporting/`.",
        (
            Kind(
                zero_shot_tables.is_zero_shot_table,
                zero_shot_tables.zero_shot,
                (
                    (
                        "zero_shot/quick/",
                        "`dvc repro` (the `zero_shot` stage), then copy "
                        "`data/08_reporting/zero_shot*` there",
                    ),
                    (
                        "zero_shot/full/",
                        "`dvc repro studies/zero_shot/dvc.yaml`, then copy "
                        "`data/08_reporting/zero_shot_full/` there",
                    ),
                ),
            ),
            Kind(_named(r"zero_shot/public_scores.*\.json"), zero_shot_tables.public_scores),
        ),
    ),
    Group(
        "results",
        "transfer",
        "SentEval transfer tasks",
        "Linear probes on frozen embeddings ([protocol](evaluation.md)).",
        (Kind(_named(r"transfer_tasks.*\.json"), results.transfer),),
    ),
    Group(
        "results",
        "paper-scale-gpu",
        "A paper-sized run on a GPU",
        "The `conf/paper` hyper-parameters on a GPU, a local base model.",
        (Kind(_named(r"paper_scale_gpu.*\.json"), results.paper_scale),),
    ),
    Group(
        "results",
        "dev-sweeps",
        "How the settings were chosen: STS-B dev sweeps",
        "Short training runs per candidate setting, scored on STS-B **dev** only.",
        (Kind(_named(r"(.*/)?dev_sweep.*\.json"), results.dev_sweep),),
    ),
    Group(
        "benchmarks",
        "chain-timing",
        "The default chain",
        "Wall seconds of whole stages, Kedro's start-up included.",
        (
            Kind(
                _named(r"chain_timing.*\.json"),
                benchmarks.chain_timing,
                (("chain_timing.json", "`python benchmarks/chain_timing.py`"),),
            ),
            Kind(_named(r"evaluation_stage.*\.json"), benchmarks.evaluation_stage),
        ),
    ),
    Group(
        "benchmarks",
        "encoding-speed",
        "Encoding speed",
        "Sentences per second of encoding, model loading not timed unless said.",
        (
            Kind(
                _named(r"backend_speed.*\.json", r"encode_speed.*\.json"),
                encoding_speed.variant_speed,
            ),
            Kind(_named(r"inference_speed.*\.json"), encoding_speed.inference_speed),
            Kind(_named(r"precision_speed.*\.json"), encoding_speed.precision_speed),
            Kind(_named(r"forward_options.*\.json"), encoding_speed.forward_options),
            Kind(_named(r"eval_speed.*\.json"), encoding_speed.eval_speed),
            Kind(_named(r"encode_large.*\.json"), encoding_speed.encode_large),
            Kind(_named(r"st_onnx_backend.*\.json"), encoding_speed.st_onnx_backend),
        ),
    ),
    Group(
        "benchmarks",
        "profile-encode",
        "Where the time of one encode goes",
        "`torch.profiler` self CPU time per operator group, beside the unprofiled wall time.",
        (Kind(_named(r"profile_encode.*\.json"), encoding_speed.profile_encode),),
    ),
    Group(
        "benchmarks",
        "training-speed",
        "Training speed and determinism",
        "",
        (
            Kind(_named(r"train_throughput.*\.json"), benchmarks.train_throughput),
            Kind(_named(r"compile_break_even.*\.json"), benchmarks.compile_break_even),
            Kind(_named(r"ddp_throughput.*\.json"), benchmarks.ddp_throughput),
            Kind(_named(r"determinism.*\.json"), benchmarks.determinism),
        ),
    ),
    Group(
        "benchmarks",
        "evaluation-speed",
        "Evaluation and start-up",
        "",
        (
            Kind(_named(r"zero_shot_suite.*\.json"), benchmarks.zero_shot_suite),
            Kind(_named(r"probe_workers.*\.json"), benchmarks.probe_workers),
            Kind(_named(r"kedro_startup.*\.json"), benchmarks.kedro_startup),
        ),
    ),
    Group(
        "benchmarks",
        "mutation",
        "Mutation testing",
        "Each module where a silent error would corrupt results, mutated and run against its "
        "own tests ([the report](mutation.md)).",
        (Kind(_named(r"mutation/(.*/)?report\.json"), benchmarks.mutation),),
    ),
)

# Files that only complete another table (read beside it) or record no measurement
AUXILIARY = (
    re.compile(r"(.*/)?" + re.escape(MACHINE_FILE)),
    re.compile(r"(.*/)?[^/]*win_tie_loss[^/]*\.json"),
    re.compile(r"mutation/(.*/)?equivalent\.json"),
    re.compile(re.escape(EXAMPLES_FILE.relative_to(RESULTS_DIR).as_posix())),
)
