"""One short run of the paper-sized setting on a GPU: towers, JTCSE and TNCSE joint training and
JTCSE-D distillation with the hyper-parameters and recipe of ``conf/paper`` (batch 64, max length
64, dev every 100 steps, the paper's learning rates; joint training and distillation in fp32,
without gradient clipping, AdamW decay on every parameter, JTCSE selected on the coupled model,
TNCSE at lr 1e-6 with dropout 0.00025, the teacher on the student's truncated inputs), then
STS-7 of every encoder.

Without the Hub the base model is a local folder (all-MiniLM-L6-v2 here, not BERT-base); the
cross-attention layer count keeps the paper's ratio (6 of 12 layers -> half the depth). The
corpus sizes are arguments so that the run fits a short GPU lease. The results JSON is
rewritten (atomically) after every stage, so a run cut short keeps what it finished.

Usage::

    python benchmarks/paper_scale_gpu.py --base-model DIR --corpus train.txt \\
        --senteval DIR --work /tmp/work --output results.json \\
        --tower-sentences 96000 --joint-sentences 64000 --distil-sentences 64000
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import torch
import yaml

from jtcse.atomic import write_json_atomic
from jtcse.data.senteval import read_sts_tasks
from jtcse.evaluation.suite import evaluate_encoders, results_as_records
from jtcse.parameters import (
    distillation_run_settings,
    joint_run_settings,
    teacher_bf16,
    tower_run_settings,
    validate_parameters,
)
from jtcse.training.distillation import teacher_embeddings, train_student
from jtcse.training.joint import train_joint
from jtcse.training.towers import train_tower

PAPER_CONF = Path(__file__).resolve().parents[1] / "conf" / "paper"
TOWERS = ("tower_1", "tower_2")
JOINT_RUNS = ("jtcse", "tncse")


def paper_parameters(
    base_model: str, depth: int, tower_sentences: int, joint_sentences: int, distil_sentences: int
) -> dict[str, Any]:
    """conf/paper's training stages, on ``base_model`` and the given corpus sizes."""
    parameters = {}
    for stage in ("tower_training", "jtcse_training", "distillation"):
        text = (PAPER_CONF / f"parameters_{stage}.yml").read_text()
        parameters.update(yaml.safe_load(text))
    towers = parameters["tower_training"]
    towers["base_model"] = base_model
    towers["settings"].update(num_shards=2, max_sentences=tower_sentences)
    for shard, name in enumerate(TOWERS):
        towers["towers"][name].setdefault("settings", {})["corpus_shard"] = shard
    joint = parameters["jtcse_training"]
    joint["settings"]["max_sentences"] = joint_sentences
    joint["runs"]["jtcse"]["settings"]["num_cross_attention_layers"] = depth // 2
    distillation = parameters["distillation"]
    distillation["student_init"] = base_model
    distillation["settings"]["max_sentences"] = distil_sentences
    validate_parameters(parameters, model_depth=lambda model: depth)
    return parameters


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-model", required=True)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--senteval", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--tower-sentences", type=int, default=96_000)
    parser.add_argument("--joint-sentences", type=int, default=64_000)
    parser.add_argument("--distil-sentences", type=int, default=64_000)
    args = parser.parse_args()

    from transformers import AutoConfig

    depth = AutoConfig.from_pretrained(args.base_model).num_hidden_layers
    parameters = paper_parameters(
        args.base_model, depth, args.tower_sentences, args.joint_sentences, args.distil_sentences
    )
    table = read_sts_tasks(args.senteval)
    sentences = args.corpus.read_text(encoding="utf-8").splitlines()
    report: dict[str, Any] = {
        "device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu",
        "torch": torch.__version__,
        "corpus_sentences": len(sentences),
        "parameters": parameters,
        "stages": {},
        "sts": {},
    }
    folders: dict[str, str] = {}

    def finish(stage: str, seconds: float, result: Any, encoders: dict[str, Any]) -> None:
        report["stages"][stage] = {
            "seconds": round(seconds, 1),
            "steps": result.global_step,
            "steps_per_second": round(result.global_step / seconds, 2),
            "best_dev": result.best_score,
            "best_step": result.best_step,
        }
        started = time.perf_counter()
        scores = evaluate_encoders(table, encoders, model_folders=folders)
        report["sts"].update(results_as_records(scores))
        report["stages"][stage]["evaluation_seconds"] = round(time.perf_counter() - started, 1)
        write_json_atomic(args.output, report)
        print(stage, report["stages"][stage], flush=True)

    for name in TOWERS:
        config, settings = tower_run_settings(parameters["tower_training"], name)
        started = time.perf_counter()
        best, result = train_tower(
            args.base_model, sentences, table, settings, config, args.work / name, name=name
        )
        folders[name] = str(best)
        encoders = {name: {"models": [name]}}
        if name == TOWERS[0]:
            encoders["base_cls"] = {"models": [args.base_model]}
        else:
            encoders["towers_ensemble"] = {"models": list(TOWERS)}
        finish(name, time.perf_counter() - started, result, encoders)

    for run in JOINT_RUNS:
        config, settings = joint_run_settings(parameters["jtcse_training"], run)
        started = time.perf_counter()
        best_1, best_2, result = train_joint(
            folders["tower_1"],
            folders["tower_2"],
            sentences,
            table,
            settings,
            config,
            args.work / run,
            name=run,
        )
        folders[f"{run}_1"], folders[f"{run}_2"] = str(best_1), str(best_2)
        encoders = {f"{run}_decoupled": {"models": [f"{run}_1", f"{run}_2"]}}
        if run == "jtcse":
            encoders["jtcse_coupled"] = {"models": ["jtcse_1", "jtcse_2"], "coupled": True}
        finish(run, time.perf_counter() - started, result, encoders)

    stage = parameters["distillation"]
    config, settings = distillation_run_settings(stage)
    started = time.perf_counter()
    training = sentences[: settings.max_sentences]
    teacher = teacher_embeddings(
        [folders["jtcse_1"], folders["jtcse_2"]],
        training,
        settings.max_length,
        bf16=teacher_bf16(stage),
    )
    best, result = train_student(
        stage["student_init"], training, teacher, table, settings, config, args.work / "student"
    )
    folders["student"] = str(best)
    finish("student", time.perf_counter() - started, result, {"student": {"models": ["student"]}})


if __name__ == "__main__":
    main()
