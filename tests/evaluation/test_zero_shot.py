"""One small mteb task end to end, offline, with tiny real models: a BIOSSES-format copy of
sentence pairs converted to its Hub layout, scored by mteb's own STS evaluator through our
adapter, with every socket connection refused."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from jtcse.data.mteb_layout import write_task_folders
from jtcse.encoding import Encoder
from jtcse.encoding.cache import EmbeddingCache
from jtcse.evaluation.specs import TaskSpec
from jtcse.evaluation.task_suites import TaskList, parse_tasks
from jtcse.evaluation.zero_shot import TABLE_COLUMNS, evaluate_zero_shot, import_mteb
from tests.fixtures.mteb import BIOSSES_SCORES, BIOSSES_SECOND, write_biosses_copy
from tests.fixtures.tiny_bert import TINY_CORPUS


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every socket connect fails the test (the attempts are recorded and raised)."""
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise AssertionError(f"network access attempted: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


@pytest.fixture
def biosses_folder(tmp_path: Path) -> dict[str, str]:
    """The tiny BIOSSES-format copy, converted to its Hub layout."""
    write_biosses_copy(tmp_path / "data_root")
    return write_task_folders(tmp_path / "data_root", tmp_path / "tasks", ["BIOSSES"])


def test_an_mteb_task_runs_offline_with_our_adapter(
    tiny_bert_path: Path,
    tiny_bert_path_b: Path,
    biosses_folder: dict[str, str],
    tmp_path: Path,
    no_network: list[object],
) -> None:
    encoders = {
        "tiny_cls": {"models": [str(tiny_bert_path)], "pooling": "cls"},
        "tiny_mean": {"models": [str(tiny_bert_path)], "pooling": "mean", "normalize": True},
        "tiny_pair": {"models": [str(tiny_bert_path), str(tiny_bert_path_b)]},
    }
    cache = EmbeddingCache(tmp_path / "cache")
    output = tmp_path / "mteb"
    table = evaluate_zero_shot(
        encoders,
        TaskList([TaskSpec("BIOSSES")], []),
        biosses_folder,
        output,
        cache=cache,
        batch_size=4,
    )
    assert no_network == []
    assert list(table["encoder"]) == list(encoders)
    assert set(table["task"]) == {"BIOSSES"} and set(table["category"]) == {"sts"}
    assert set(table["metric"]) == {"cosine_spearman"}
    assert list(table.columns) == TABLE_COLUMNS
    assert ((table["encode_seconds"] > 0) & (table["encode_seconds"] <= table["seconds"])).all()

    # mteb's results in its own files, one per encoder; their Spearman with the encoder's own
    # similarity (the cosine our metadata declares, which mteb computes in float32 torch) is
    # that of our encoder's float32 cosines with the gold scores, so row i of what the adapter
    # returned belonged to text i. (The cosines of a random tiny model lie 1e-7 apart: in
    # float64 they rank differently. The main score, cosine_spearman, comes from sklearn's
    # float32 cosine distances, which round them into other ranks again.)
    mteb = import_mteb()
    for name, spec in encoders.items():
        [path] = output.glob(f"results/jtcse__{name}/*/BIOSSES.json")
        assert (path.parent / "model_meta.json").is_file()
        [scores] = mteb.TaskResult.from_disk(path).scores["test"]
        encoder = Encoder.load(spec["models"], spec.get("pooling", "cls"))
        first, second = (torch.from_numpy(encoder.encode(t)) for t in (TINY_CORPUS, BIOSSES_SECOND))
        cosines = torch.nn.functional.cosine_similarity(first, second).numpy()
        assert scores["spearman"] == pytest.approx(
            spearmanr(cosines, BIOSSES_SCORES).statistic, abs=1e-6
        )
        row = table.loc[table["encoder"] == name]
        assert row["score"].item() == pytest.approx(scores["main_score"], abs=1e-6)

    # the cls and mean encoders shared one forward pass; a rerun encodes nothing
    misses = cache.misses
    assert misses == 3  # cls + mean of model a, cls of model b
    again = evaluate_zero_shot(
        encoders, TaskList([TaskSpec("BIOSSES")], []), biosses_folder, output, cache
    )
    assert cache.misses == misses
    assert np.allclose(again["score"], table["score"])


def test_revisions_differ_with_what_changes_the_numbers(
    tiny_bert_path: Path, biosses_folder: dict[str, str], tmp_path: Path
) -> None:
    encoders = {
        "a": {"models": [str(tiny_bert_path)], "pooling": "mean"},
        "b": {"models": [str(tiny_bert_path)], "pooling": "mean", "normalize": True},
    }
    evaluate_zero_shot(
        encoders, TaskList([TaskSpec("BIOSSES")], []), biosses_folder, tmp_path / "mteb"
    )
    revisions = {
        path.parent.parent.name: path.parent.name
        for path in tmp_path.glob("mteb/results/*/*/BIOSSES.json")
    }
    assert revisions.keys() == {"jtcse__a", "jtcse__b"}
    assert revisions["jtcse__a"] != revisions["jtcse__b"]


def test_task_entries_are_checked() -> None:
    specs = parse_tasks(
        ["STS12", "MR", {"name": "STS17", "subsets": ["en-en"], "per_subset": True}]
    )
    assert specs == TaskList([TaskSpec("STS12"), TaskSpec("STS17", ("en-en",), True)], ["MR"])
    with pytest.raises(ValueError, match=r"zero_shot.tasks\[0\]: expected a task name"):
        parse_tasks([{"task": "STS12"}])
    with pytest.raises(ValueError, match="name at least one task"):
        parse_tasks([])
