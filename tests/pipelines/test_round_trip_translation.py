"""Round-trip translation end to end through Kedro, offline: a tiny local seq2seq model
translates the corpus "through" a pivot and back, then tower 1 trains on its round trips."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from transformers import AutoModel

from jtcse.translation.views import read_round_trip_views
from tests.fixtures.tiny_seq2seq import build_tiny_seq2seq


def _override(project: Path, name: str, update: dict) -> None:
    """Merge ``update`` into ``conf/test/<name>`` of the test project (a copy of conf/test)."""
    path = project / "conf" / "test" / name
    parameters = yaml.safe_load(path.read_text()) if path.is_file() else {}

    def merge(target: dict, source: dict) -> None:
        for key, value in source.items():
            if isinstance(value, dict) and isinstance(target.get(key), dict):
                merge(target[key], value)
            else:
                target[key] = value

    merge(parameters, update)
    path.write_text(yaml.safe_dump(parameters))


def test_round_trips_then_a_tower_trained_on_them(test_project: Path, run_pipelines) -> None:
    forward = build_tiny_seq2seq(test_project / "data/01_raw/to_pivot", seed=1)
    backward = build_tiny_seq2seq(test_project / "data/01_raw/from_pivot", seed=2)
    pivot = {"forward": str(forward), "backward": str(backward)}
    _override(
        test_project,
        "parameters_round_trip_translation.yml",
        {
            "round_trip_translation": {
                "enabled": True,
                "chunk_sentences": 16,
                "batch_size": 8,
                "max_length": 24,
                # a random model's output: let most of it through, so a tower trains on it
                "max_length_ratio": 100.0,
                "max_repeats": 100,
                "pivots": {"tower_1": pivot, "tower_2": pivot},
            }
        },
    )
    _override(
        test_project,
        "parameters_tower_training.yml",
        {"tower_training": {"towers": {"tower_1": {"settings": {"augmentation": "round_trip"}}}}},
    )
    run_pipelines(["data_preparation", "round_trip_translation"])

    corpus = (test_project / "data/05_model_input/training_corpus.txt").read_text().splitlines()
    table = (test_project / "data/05_model_input/round_trip/tower_1.tsv").read_text()
    views = read_round_trip_views(table, "tower_1.tsv")
    statistics = json.loads(
        (test_project / "data/08_reporting/round_trip/tower_1.json").read_text()
    )
    assert statistics["sentences"] == len(corpus)
    left_out = sum(statistics[key] for key in ("empty", "too_long", "repeated_word"))
    assert (
        statistics["kept"] == len(views) == len(corpus) - left_out - statistics["tab_in_sentence"]
    )
    assert list(views) == [sentence for sentence in corpus if sentence in views]  # corpus order
    assert len(views) >= len(corpus) // 2
    chunks = sorted((test_project / "data/07_model_output/work/tower_1_rtt").glob("chunk-*.json"))
    assert len(chunks) == -(-len(corpus) // 16)

    # a rerun reuses every finished chunk: the same file, no chunk rewritten
    written = {chunk: chunk.stat().st_mtime_ns for chunk in chunks}
    run_pipelines(["round_trip_translation"])
    assert (test_project / "data/05_model_input/round_trip/tower_1.tsv").read_text() == table
    assert {chunk: chunk.stat().st_mtime_ns for chunk in chunks} == written

    run_pipelines(["tower_training"])
    # tower 1 trained on the round-trip views (their digest is part of its run's identity)
    checkpoints = test_project / "data/07_model_output/work/tower_1/checkpoints"
    metadata = json.loads(next(checkpoints.glob("step-*/metadata.json")).read_text())
    assert "extra_fingerprint.round_trip" in metadata["config"]
    tower_2 = test_project / "data/07_model_output/work/tower_2/checkpoints"
    assert (
        "extra_fingerprint.round_trip"
        not in json.loads(next(tower_2.glob("step-*/metadata.json")).read_text())["config"]
    )
    trained = AutoModel.from_pretrained(test_project / "data/06_models/tower_1")
    base = AutoModel.from_pretrained(test_project / "data/01_raw/tiny_bert")
    assert any(
        (mine != theirs).any()
        for mine, theirs in zip(trained.parameters(), base.parameters(), strict=True)
    )
