"""Tests of the ``jtcse evaluate`` command line (jtcse.console.main), run in-process."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from jtcse.console import main
from jtcse.data.senteval import EVALUATION_SPLITS, read_sts_tasks
from jtcse.encoding import Encoder
from jtcse.evaluation.sts import evaluate_sts
from tests.fixtures.senteval import write_senteval_fixture

KEYS = [
    "STS12",
    "STS13",
    "STS14",
    "STS15",
    "STS16",
    "STSBenchmark",
    "SICKRelatedness",
    "avg",
]


@pytest.fixture(scope="module")
def senteval_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_senteval_fixture(tmp_path_factory.mktemp("data") / "senteval")


def _expected(senteval_root: Path, models: list[Path], pooling: str = "cls") -> dict[str, float]:
    table = read_sts_tasks(senteval_root, splits=EVALUATION_SPLITS)
    return evaluate_sts(table, Encoder.load(models, pooling=pooling).encode).rounded()


def test_evaluate_prints_a_table_and_writes_json(
    senteval_root: Path, tiny_bert_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    output = tmp_path / "reports" / "scores.json"

    code = main(
        [
            "evaluate",
            "--model",
            str(tiny_bert_path),
            "--data",
            str(senteval_root),
            "--output",
            str(output),
        ]
    )

    assert code == 0
    printed = capsys.readouterr().out
    assert printed.startswith("| model | STS12 | STS13 |")
    assert f"| {tiny_bert_path} (cls) |" in printed
    assert f"wrote {output}" in printed
    scores = json.loads(output.read_text())
    assert list(scores) == KEYS
    assert all(isinstance(value, float) and round(value, 2) == value for value in scores.values())
    assert scores == pytest.approx(_expected(senteval_root, [tiny_bert_path]), abs=0.011)
    assert sorted(path.name for path in output.parent.iterdir()) == ["scores.json"]


def test_two_models_give_the_ensemble(
    senteval_root: Path, tiny_bert_path: Path, tiny_bert_path_b: Path, tmp_path: Path
) -> None:
    single, pair = tmp_path / "single.json", tmp_path / "pair.json"
    data = ["--data", str(senteval_root), "--pooling", "mean", "--batch-size", "5"]

    assert main(["evaluate", "--model", str(tiny_bert_path), *data, "--output", str(single)]) == 0
    models = ["--model", str(tiny_bert_path), "--model", str(tiny_bert_path_b)]
    assert main(["evaluate", *models, *data, "--output", str(pair)]) == 0

    ensemble = json.loads(pair.read_text())
    expected = _expected(senteval_root, [tiny_bert_path, tiny_bert_path_b], "mean")
    assert ensemble == pytest.approx(expected, abs=0.011)
    assert ensemble != json.loads(single.read_text())


def test_default_data_folder_comes_from_the_environment(
    senteval_root: Path,
    tiny_bert_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    monkeypatch.setenv("JTCSE_DATA_ROOT", str(senteval_root.parent))

    assert main(["evaluate", "--model", str(tiny_bert_path)]) == 0
    assert "| SICKRelatedness |" in capsys.readouterr().out


@pytest.mark.parametrize("model", ["absolute", "runs/towers/tower_1"])
def test_missing_model_exits_2_with_a_message(
    senteval_root: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
    model: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    model = str(tmp_path / "no_such_model") if model == "absolute" else model
    output = tmp_path / "scores.json"

    code = main(
        ["evaluate", "--model", model, "--data", str(senteval_root), "--output", str(output)]
    )

    assert code == 2
    error = capsys.readouterr().err
    assert error.startswith("jtcse: error: model folder not found")
    assert model in error
    assert not output.exists()


def test_missing_data_folder_exits_2_with_a_message(
    tiny_bert_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    missing = tmp_path / "no_such_senteval"

    code = main(["evaluate", "--model", str(tiny_bert_path), "--data", str(missing)])

    assert code == 2
    error = capsys.readouterr().err
    assert error.startswith("jtcse: error:")
    assert f"{missing}: SentEval data folder not found" in error


def test_a_bad_compile_setting_exits_2_naming_the_variable(
    senteval_root: Path,
    tiny_bert_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    monkeypatch.setenv("JTCSE_COMPILE", "fast")

    code = main(["evaluate", "--model", str(tiny_bert_path), "--data", str(senteval_root)])

    assert code == 2
    error = capsys.readouterr().err
    assert error == ("jtcse: error: $JTCSE_COMPILE must be one of auto, on, off; got 'fast'\n")


def test_bad_batch_size_exits_2(
    senteval_root: Path, tiny_bert_path: Path, capsys: pytest.CaptureFixture
) -> None:
    args = ["--model", str(tiny_bert_path), "--data", str(senteval_root), "--batch-size", "0"]

    assert main(["evaluate", *args]) == 2
    assert "batch_size must be at least 1; got 0" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv", [["evaluate"], ["evaluate", "--model", "m", "--pooling", "max"], []]
)
def test_usage_errors_exit_through_argparse(argv: list[str], capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)

    assert exit_info.value.code == 2
    assert "usage: jtcse" in capsys.readouterr().err


def test_encode_then_cosine_equals_similarity(tiny_bert_path, tmp_path, capsys):
    sentences = tmp_path / "sentences.txt"
    sentences.write_text("a man is playing a guitar .\n\nthe cat sits on the mat .\n")
    output = tmp_path / "vectors.npy"
    model = ["--model", str(tiny_bert_path)]
    assert main(["encode", *model, "--input", str(sentences), "--output", str(output)]) == 0
    vectors = np.load(output)
    # row i is line i: the blank line is the empty string's embedding, in its place
    assert vectors.shape == (3, 32) and vectors.dtype == np.float32
    empty = Encoder.load(tiny_bert_path).encode([""])[0]
    np.testing.assert_allclose(vectors[1], empty, atol=1e-6)
    cosine = float(
        vectors[0] @ vectors[2] / np.linalg.norm(vectors[0]) / np.linalg.norm(vectors[2])
    )
    capsys.readouterr()
    pair = ["a man is playing a guitar .", "the cat sits on the mat ."]
    assert main(["similarity", *model, *pair]) == 0
    assert float(capsys.readouterr().out) == pytest.approx(cosine, abs=1e-6)


def test_encode_reads_standard_input_and_prints_vectors(tiny_bert_path, monkeypatch, capsys):
    stdin = io.TextIOWrapper(io.BytesIO(b"a man is playing .\r\nthe cat sits ."), "utf-8")
    monkeypatch.setattr("sys.stdin", stdin)  # CRLF, and no newline after the last line
    assert main(["encode", "--model", str(tiny_bert_path), "--normalize"]) == 0
    rows = np.loadtxt(io.StringIO(capsys.readouterr().out))
    assert rows.shape == (2, 32)
    np.testing.assert_allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)


def test_encode_with_empty_input_or_missing_model_fails_clearly(tiny_bert_path, tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    assert main(["encode", "--model", str(tiny_bert_path), "--input", str(empty)]) == 2
    assert f"no sentences in {empty}" in capsys.readouterr().err
    blank = tmp_path / "blank.txt"
    blank.write_text("a man is playing .\n \nthe cat sits .\n")
    output = tmp_path / "blank.npy"
    refused = ["encode", "--model", str(tiny_bert_path), "--input", str(blank), "--no-blank-lines"]
    assert main([*refused, "--output", str(output)]) == 2
    assert f"{blank}:2: blank line" in capsys.readouterr().err
    assert not output.exists() and not list(tmp_path.glob(".blank.npy*"))
    missing = tmp_path / "no_model"
    assert main(["similarity", "--model", str(missing), "a", "b"]) == 2
    assert str(missing) in capsys.readouterr().err


def test_cli_accepts_an_onnx_export_and_refuses_a_non_onnx_file(tiny_bert_path, tmp_path, capsys):
    from jtcse.export.onnx import export_onnx

    onnx_path = export_onnx(tiny_bert_path, tmp_path / "onnx")
    capsys.readouterr()  # the exporter's warnings (logged to stdout once Kedro set up logging)
    pair = ["a man is playing a guitar .", "the cat sits on the mat ."]
    assert main(["similarity", "--model", str(tiny_bert_path), *pair]) == 0
    torch_cosine = float(capsys.readouterr().out)
    assert main(["similarity", "--model", str(onnx_path), *pair]) == 0
    assert float(capsys.readouterr().out) == pytest.approx(torch_cosine, abs=1e-5)
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"not a model")
    assert main(["similarity", "--model", str(garbage), *pair]) == 2
    assert "not an ONNX model" in capsys.readouterr().err


def test_zero_shot_prints_mteb_main_scores_and_writes_its_results(
    tiny_bert_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from tests.fixtures.mteb import write_biosses_copy
    from tests.fixtures.transfer import write_transfer_fixture

    write_biosses_copy(tmp_path / "root")
    write_transfer_fixture(tmp_path / "root" / "senteval")
    output = tmp_path / "out"
    argv = ["zero-shot", "--model", str(tiny_bert_path), "--pooling", "mean"]
    argv += ["--tasks", "BIOSSES", "SST2"]  # an mteb task and a SentEval transfer task
    code = main([*argv, "--data", str(tmp_path / "root"), "--output", str(output)])
    assert code == 0
    printed = capsys.readouterr().out
    [line] = [line for line in printed.splitlines() if line.startswith("BIOSSES")]
    _, metric, score = line.split()
    assert metric == "cosine_spearman" and -1.0 <= float(score) <= 1.0
    [line] = [line for line in printed.splitlines() if line.startswith("SST2")]
    _, metric, score = line.split()
    assert metric == "accuracy" and 0.0 <= float(score) <= 1.0
    table = (output / "zero_shot_results.csv").read_text().splitlines()
    assert table[0] == "encoder,task,category,metric,score,seconds,encode_seconds"
    assert table[1].startswith(f"{tiny_bert_path.name}_mean,BIOSSES,sts,cosine_spearman,")
    assert table[2].startswith(f"{tiny_bert_path.name}_mean,SST2,transfer,accuracy,")
    [result] = output.glob("results/*/*/BIOSSES.json")
    assert json.loads(result.read_text())["task_name"] == "BIOSSES"


def test_zero_shot_names_an_unknown_task(tiny_bert_path: Path, tmp_path: Path, capsys) -> None:
    argv = ["zero-shot", "--model", str(tiny_bert_path), "--tasks", "NoSuchTask"]
    assert main([*argv, "--data", str(tmp_path)]) == 2
    assert "'NoSuchTask' is no registered mteb task or benchmark" in capsys.readouterr().err


def test_zero_shot_default_tasks_are_the_pipelines() -> None:
    import yaml

    from jtcse.evaluation.task_suites import DEFAULT_SUITE

    parameters = Path(__file__).resolve().parents[1] / "conf/base/parameters_zero_shot.yml"
    zero_shot = yaml.safe_load(parameters.read_text())["zero_shot"]
    assert zero_shot["tasks"] == DEFAULT_SUITE


def test_zero_shot_and_evaluate_score_a_weighted_mixed_pooling_ensemble_alike(
    tiny_bert_path: Path, tiny_bert_path_b: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """Both commands load the encoder through one planner: mteb's STS main scores (Spearman of
    the cosines, 0-1) are the ``evaluate`` table's / 100, weights and per-model poolings
    included (``--pooling mean cls``)."""
    import shutil

    root = tmp_path / "root"
    senteval = write_senteval_fixture(root / "senteval")
    shutil.copytree(senteval / "STS" / "STSBenchmark", root / "sts_original" / "stsbenchmark")
    encoder = ["--model", str(tiny_bert_path), "--model", str(tiny_bert_path_b)]
    encoder += ["--weights", "0.3", "0.7", "--pooling", "mean", "cls"]
    scores = tmp_path / "scores.json"
    assert main(["evaluate", *encoder, "--data", str(senteval), "--output", str(scores)]) == 0
    output = tmp_path / "out"
    tasks = ["STS12", "STS13", "STS14", "STS15", "STS16", "STSBenchmark"]
    argv = ["zero-shot", *encoder, "--tasks", *tasks, "--data", str(root)]
    assert main([*argv, "--output", str(output)]) == 0
    capsys.readouterr()

    evaluated = json.loads(scores.read_text())
    table = pd.read_csv(output / "zero_shot_results.csv")
    assert list(table["task"]) == tasks
    name = f"{tiny_bert_path.name}+{tiny_bert_path_b.name}_mean_cls"
    assert set(table["encoder"]) == {name} and set(table["metric"]) == {"cosine_spearman"}
    for task, score in zip(table["task"], table["score"], strict=True):
        # the JSON holds Spearman x 100 to two decimals
        assert score * 100 == pytest.approx(evaluated[task], abs=0.0051), task
