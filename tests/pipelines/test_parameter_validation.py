"""A run with a bad parameter stops before any node runs, naming the parameter."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml


@pytest.mark.parametrize(
    ("stage", "edit", "message"),
    [
        (
            "jtcse_training",
            lambda p: p["runs"]["jtcse"]["settings"].update(num_cross_attention_layers=3),
            r"jtcse_training\.runs\.jtcse\.settings\.num_cross_attention_layers: "
            r".*divide.*have 2 layers",
        ),
        (
            "tower_training",
            lambda p: p["training"].update(learning_rate="fast"),
            r"tower_training\.towers\.tower_1\.training\.learning_rate: expected",
        ),
        (
            "distillation",
            lambda p: p.update(temperature=0.05),
            r"distillation\.temperature: unknown key; did you mean 'settings\.temperature'\?",
        ),
    ],
)
def test_a_bad_parameter_stops_the_run_before_any_node(
    test_project: Path, run_pipelines, stage: str, edit, message: str
) -> None:
    parameters_file = test_project / "conf" / "test" / f"parameters_{stage}.yml"
    parameters = yaml.safe_load(parameters_file.read_text())
    edit(parameters[stage])
    parameters_file.write_text(yaml.safe_dump(parameters))
    with pytest.raises(ValueError, match=message):
        run_pipelines(["data_preparation", "tower_training", "jtcse_training", "distillation"])
    assert not (test_project / "data" / "03_primary" / "sts_pairs.parquet").exists()
    assert not (test_project / "data" / "07_model_output").exists()


def test_an_unknown_parameter_override_stops_kedro_run_with_one_last_line(
    test_project: Path, start_kedro_run
) -> None:
    """Any section is checked, not only those of the pipelines run; the message is longer than
    Kedro's 80-column traceback, whose last line would be the end of a wrapped message."""
    override = "evaluation.encoders.tiny_cls.poolng=mean"
    process = start_kedro_run("--pipelines", "data_preparation", "--params", override)
    output, _ = process.communicate(timeout=300)
    assert process.returncode != 0
    assert output.strip().splitlines()[-1] == (
        "jtcse: error: evaluation.encoders.tiny_cls.poolng: unknown key; did you mean 'pooling'?"
    )
    assert not (test_project / "data" / "03_primary" / "sts_pairs.parquet").exists()
