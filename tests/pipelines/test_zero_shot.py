"""The ``zero_shot`` pipeline on ``conf/test``: the task conversion and the base family's mteb
run through Kedro (the trained families need the training chain: the DVC test runs them)."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from jtcse.pipelines.zero_shot.nodes import report_zero_shot, write_zero_shot_table

TASKS = ["STS12", "SICK-R", "SST2", "MRPC"]  # conf/test's mteb tasks, then its transfer tasks


def test_zero_shot_base_family_runs_mteb_through_kedro(test_project: Path) -> None:
    bootstrap_project(test_project)
    with KedroSession.create(project_path=test_project, env="test") as session:
        outputs = session.run(
            pipeline_names=["zero_shot"], node_names=["convert_mteb_tasks", "zero_shot_base"]
        )
        parameters = session.load_context().params["zero_shot"]

    folders = json.loads((test_project / "data/04_feature/mteb_task_folders.json").read_text())
    assert sorted(folders) == ["SICK-R", "STS12"]
    table = outputs["base_zero_shot_table"].load()  # kedro 1.x returns the free outputs as datasets
    # mteb's tasks, then SentEval's transfer tasks, for each encoder
    assert list(zip(table["encoder"], table["task"], strict=True)) == [
        (encoder, task) for encoder in ("tiny_cls", "tiny_mean") for task in TASKS
    ]
    assert table["score"].between(-1, 1).all()
    transfer = table[table["category"] == "transfer"]
    assert list(transfer["task"][:2]) == ["SST2", "MRPC"]
    assert (transfer["metric"] == "accuracy").all() and transfer["score"].between(0, 1).all()
    results = sorted((test_project / "data/08_reporting/mteb/results").glob("*/*/*.json"))
    assert {path.name for path in results} == {"STS12.json", "SICK-R.json", "model_meta.json"}

    mlflow.set_tracking_uri(f"sqlite:///{test_project / 'mlflow.db'}")
    run = mlflow.search_runs(experiment_names=["jtcse"]).iloc[0]
    row = table[(table["encoder"] == "tiny_cls") & (table["task"] == "STS12")].iloc[0]
    assert run["metrics.zero_shot.tiny_cls.STS12"] == row["score"]

    # the table and report nodes on the base family alone (parameters limited to it)
    base_only = parameters | {
        "encoders": {name: parameters["encoders"][name] for name in ("tiny_cls", "tiny_mean")}
    }
    ordered = write_zero_shot_table(base_only, base=table)
    assert list(ordered["encoder"][:2]) == ["tiny_cls", "tiny_cls"]
    figure, section, records = report_zero_shot(ordered, base_only)
    assert figure.axes and "## Zero-shot evaluation" in section
    assert "| transfer |" in section  # the category means
    assert [(r["category"], r["tasks"]) for r in records] == [
        ("sts", 2),
        ("transfer", 2),
        ("overall", 4),
    ]
    record = records[-1]
    assert record["baseline"] == "tiny_mean"
    assert record["wins"] + record["ties"] + record["losses"] == 4


def test_the_full_study_runs_the_same_nodes_on_its_own_tasks_and_outputs() -> None:
    from jtcse.pipelines import zero_shot, zero_shot_full

    chain, study = zero_shot.create_pipeline(), zero_shot_full.create_pipeline()
    assert [n.func for n in study.nodes] == [n.func for n in chain.nodes]
    # the same encoders, data, model folders and cache; its own task list and results folder
    assert study.inputs() - chain.inputs() == {
        "params:zero_shot_full.tasks",
        "zero_shot_full.mteb_results_folder",
    }
    assert chain.inputs() - study.inputs() == {"params:zero_shot.tasks", "mteb_results_folder"}
    assert study.outputs() == {f"zero_shot_full.{name}" for name in chain.outputs()}
