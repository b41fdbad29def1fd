"""The whole chain under DVC and MLflow, on ``conf/test`` values in a temporary repository:
``dvc repro`` end to end (every ``jtcse`` module a stage imports is one of its deps), a no-op
second repro, a module edit that makes exactly the stages importing it stale, a parameter
sweep (``dvc exp run -S``) that reruns exactly the stages reading it and those after them, the
MLflow records of every stage, and a training stage killed and resumed from its checkpoint."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import mlflow
import pandas as pd
import pytest
import yaml
from mlflow.tracking import MlflowClient

from jtcse.chain.imports import module_file
from jtcse.chain.stages import REPOSITORY
from tests.fixtures.senteval import write_senteval_fixture
from tests.fixtures.tiny_bert import TINY_CORPUS, build_tiny_bert
from tests.fixtures.transfer import write_transfer_fixture

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHAIN = yaml.safe_load((PROJECT_ROOT / "dvc.yaml").read_text())["stages"]
STAGES = list(CHAIN)  # in dependency order
IMPORTED = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s+(jtcse(?:\.\w+)*)\s*$")
GIT = ["git", "-c", "user.name=jtcse-test", "-c", "user.email=test@jtcse.invalid"]

# A sitecustomize module: once jtcse's training has written a checkpoint, the process kills
# its session with SIGKILL (the stage started in a session of its own).
CRASH_AFTER_FIRST_CHECKPOINT = """
import importlib.abc
import importlib.machinery
import os
import signal
import sys


class CrashAfterCheckpoint(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "jtcse.training.resume":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        execute = spec.loader.exec_module

        def exec_module(module):
            execute(module)
            write = module.write_checkpoint

            def write_then_crash(*args, **kwargs):
                write(*args, **kwargs)
                os.killpg(os.getpgrp(), signal.SIGKILL)

            module.write_checkpoint = write_then_crash

        spec.loader.exec_module = exec_module
        return spec


sys.meta_path.insert(0, CrashAfterCheckpoint())
"""

pytestmark = pytest.mark.slow  # see the README: pytest -m "not slow" leaves it out


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A git + DVC repository holding the project with ``conf/test`` values as its base
    parameters, next to a ``shared/data`` data root (the default ``../shared/data``)."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ("src", "conf", "notebooks"):
        shutil.copytree(
            PROJECT_ROOT / name, project / name, ignore=shutil.ignore_patterns("*.pyc", "local")
        )
    for name in ("pyproject.toml", "dvc.yaml", ".gitignore", ".dvcignore"):
        shutil.copy(PROJECT_ROOT / name, project / name)
    (project / "conf" / "local").mkdir()
    for test_file in (project / "conf" / "test").glob("*.yml"):  # parameters, globals
        base_file = project / "conf" / "base" / test_file.name
        base = yaml.safe_load(base_file.read_text()) if base_file.is_file() else {}
        base_file.write_text(yaml.safe_dump(base | yaml.safe_load(test_file.read_text())))
    build_tiny_bert(project / "data" / "01_raw" / "tiny_bert", seed=0)
    data_root = tmp_path / "shared" / "data"
    write_senteval_fixture(data_root / "senteval")
    write_transfer_fixture(data_root / "senteval", per_class=10)  # 10 folds need 10 a class
    corpus = [f"{sentence} number {index}" for index in range(6) for sentence in TINY_CORPUS]
    (data_root / "unsup_corpus").mkdir()
    (data_root / "unsup_corpus" / "train_all.txt").write_text("\n".join(corpus) + "\n")
    # the zero_shot stage's other data dependencies (conf/test runs only STS12 and SICK-R)
    for folder in ("mteb_style", "sts_original/stsbenchmark"):
        (data_root / folder).mkdir(parents=True)
        (data_root / folder / "README.md").write_text("not used by conf/test\n")
    _run(["git", "init", "-q"], project)
    _run(["dvc", "init", "-q"], project)
    _run([*GIT, "add", "-A"], project)
    _run([*GIT, "commit", "-qm", "project"], project)
    return project


def test_dvc_repro_runs_the_chain_then_only_what_changed(repository: Path) -> None:
    first = _run(["dvc", "repro"], repository, PYTHONPROFILEIMPORTTIME="1")
    assert _stages_run(first) == STAGES
    for stage, modules in _imported_modules(first).items():  # what ran, against the deps
        missing = {module for module in modules if _source(module) not in CHAIN[stage]["deps"]}
        assert not missing, f"{stage} imported {sorted(missing)}, not among its deps"
    status = _run(["dvc", "status"], repository)
    assert "up to date" in status, status
    second = _run(["dvc", "repro"], repository)
    assert _stages_run(second) == []
    for module in ("src/jtcse/modeling/precision.py", "src/jtcse/publishing/chain_cards.py"):
        _assert_edit_makes_stale(repository, module)

    for png in ("training_curves", "sts_bar_chart", "cls_attention_mass", "zero_shot_heat_map"):
        assert (repository / "data/08_reporting" / f"{png}.png").read_bytes()[:4] == b"\x89PNG"
    curve = pd.read_csv(repository / "data/08_reporting/training_curves/student.csv")
    assert {"step", "loss", "learning_rate", "dev_score"} <= set(curve.columns)
    plots = _run(["dvc", "plots", "show", "--json"], repository)
    assert "training_loss" in plots and "dev_spearman" in plots

    _check_mlflow_records(repository)

    key = "reporting.cls_attention_mass.batch_size"
    third = _run(
        ["dvc", "exp", "run", "-S", f"conf/base/parameters_reporting.yml:{key}=16"], repository
    )
    assert sorted(_stages_run(third)) == sorted(_reading_and_after(key))
    assert sorted(_reading_and_after(key)) == ["model_cards", "reporting"]  # reads them all


def _assert_edit_makes_stale(repository: Path, module: str) -> None:
    """Editing ``module`` makes stale exactly the stages whose deps name it."""
    path = repository / module
    original = path.read_text()
    path.write_text(original + "\n# an edit\n")
    output = _run(["dvc", "status", "--json"], repository).splitlines()
    status = json.loads(next(line for line in output if line.startswith("{")))
    path.write_text(original)
    assert set(status) == {name for name, stage in CHAIN.items() if module in stage["deps"]}


def _reading_and_after(key: str) -> list[str]:
    """The stages whose params name ``key`` (or a section holding it), and every stage after
    one of them, in dependency order."""
    stale = set()
    for name, stage in CHAIN.items():  # in dependency order
        keys = [k for entry in stage["params"] for names in entry.values() for k in names]
        reads = any(key == k or key.startswith(f"{k}.") for k in keys)
        written = {p for later in stale for p in _written(CHAIN[later])}
        if reads or written & set(stage["deps"]):
            stale.add(name)
    return [name for name in CHAIN if name in stale]


def _written(stage: dict) -> set[str]:
    entries = [*stage.get("outs", []), *stage.get("metrics", []), *stage.get("plots", [])]
    return {entry if isinstance(entry, str) else next(iter(entry)) for entry in entries}


def _imported_modules(output: str) -> dict[str, set[str]]:
    """The ``jtcse`` modules each stage's process imported (``-X importtime`` lines)."""
    modules: dict[str, set[str]] = {}
    stage = None
    for line in output.splitlines():
        if line.startswith("Running stage '"):
            stage = line.split("'")[1]
        elif stage and (match := IMPORTED.match(line)):
            modules.setdefault(stage, set()).add(match.group(1))
    assert set(modules) == set(STAGES)
    return modules


def _source(module: str) -> str:
    """The module's file as dvc.yaml names it (``src/jtcse/...``)."""
    return str(module_file(module).relative_to(REPOSITORY))


def _check_mlflow_records(repository: Path) -> None:
    """One run per stage, tagged with the stage, DVC stage and commit, with its metrics and
    artefacts; the student is an MLflow model that encodes sentences."""
    mlflow.set_tracking_uri(f"sqlite:///{repository / 'mlflow.db'}")
    try:
        client = MlflowClient()
        experiment = client.get_experiment_by_name("jtcse")
        runs = {
            run.data.tags["stage"]: run for run in client.search_runs([experiment.experiment_id])
        }
        assert sorted(runs) == sorted(STAGES)
        commit = _run(["git", "rev-parse", "HEAD"], repository).strip()
        for stage, run in runs.items():
            assert run.info.status == "FINISHED"
            assert run.data.tags["dvc_stage"] == stage
            assert run.data.tags["git_commit"] == commit
        tower_metrics = runs["tower_training"].data.metrics
        assert {"tower_1.loss", "tower_1.learning_rate", "tower_1.dev_score"} <= set(tower_metrics)
        history = client.get_metric_history(runs["jtcse_training"].info.run_id, "jtcse.ictm")
        assert len(history) > 1  # per-step values, not only the last
        assert "tiny_cls.avg" in runs["evaluation"].data.metrics
        assert "tower_training.training.batch_size" in runs["tower_training"].data.params

        def artefacts(stage: str, folder: str) -> set[str]:
            listed = client.list_artifacts(runs[stage].info.run_id, folder)
            return {Path(item.path).name for item in listed}

        assert {"sts_results.md", "sts_results.json"} <= artefacts("evaluation", "reporting")
        assert {"report.md", "training_curves.png"} <= artefacts("reporting", "reporting")
        assert "student.csv" in artefacts("distillation", "training_curves")
        student = mlflow.pyfunc.load_model(f"runs:/{runs['distillation'].info.run_id}/student")
        embeddings = student.predict(pd.DataFrame({"sentence": ["a man plays a guitar ."]}))
        assert embeddings.shape == (1, 32)
    finally:
        mlflow.set_tracking_uri(None)


def test_a_killed_training_stage_resumes_from_its_checkpoint(
    repository: Path, tmp_path: Path
) -> None:
    parameters_file = repository / "conf/base/parameters_tower_training.yml"
    parameters = yaml.safe_load(parameters_file.read_text())
    parameters["tower_training"]["training"].update(
        num_epochs=None, max_steps=400, checkpoint_every=20, eval_every=400
    )
    parameters_file.write_text(yaml.safe_dump(parameters))
    _run(["dvc", "repro", "data_preparation"], repository)

    checkpoints = repository / "data/07_model_output/work/tower_1/checkpoints"
    # The crash comes at a known state, not after a wait: right after the first checkpoint,
    # the training process kills its whole session (dvc and kedro), as a power cut would.
    hook = tmp_path / "crash_hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(CRASH_AFTER_FIRST_CHECKPOINT)
    environment = _environment(repository)
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(hook), *filter(None, [environment.get("PYTHONPATH")])]
    )
    process = subprocess.Popen(
        ["dvc", "repro", "tower_training"],
        cwd=repository,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    assert process.wait(timeout=600) == -signal.SIGKILL
    assert sorted(path.name for path in checkpoints.glob("step-*")) == ["step-00000020"]

    resumed = _run(["dvc", "repro", "tower_training"], repository)
    assert "resuming from step 20" in resumed
    assert _stages_run(resumed) == ["tower_training"]
    assert (repository / "data/06_models/tower_1/config.json").is_file()


def _environment(repository: Path) -> dict[str, str]:
    environment = dict(os.environ)
    environment.pop("JTCSE_DATA_ROOT", None)  # the default, ../shared/data
    environment.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{environment['PATH']}",
        MLFLOW_TRACKING_URI=f"sqlite:///{repository / 'mlflow.db'}",
        OMP_NUM_THREADS="1",
        KEDRO_DISABLE_TELEMETRY="1",
        HF_HUB_OFFLINE="1",
        DVC_NO_ANALYTICS="1",
    )
    return environment


def _run(command: list[str], cwd: Path, **environment: str) -> str:
    """Run ``command`` (with extra ``environment`` variables); return its stdout and stderr
    interleaved as written, failing the test on an error."""
    completed = subprocess.run(
        command,
        cwd=cwd,
        env=_environment(cwd) | environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=900,
    )
    output = completed.stdout
    assert completed.returncode == 0, f"{' '.join(command)} failed:\n{output[-5000:]}"
    return output


def _stages_run(output: str) -> list[str]:
    """The stages DVC ran, in order (from its "Running stage 'NAME':" lines)."""
    return [
        line.split("'")[1] for line in output.splitlines() if line.startswith("Running stage '")
    ]
