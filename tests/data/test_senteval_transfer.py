"""Tests of the transfer-task reader (jtcse.data.senteval_transfer)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jtcse.data.senteval import SentEvalFormatError
from jtcse.data.senteval_transfer import (
    COLUMNS,
    TRANSFER_FILES,
    TRANSFER_TASKS,
    TREC_CLASSES,
    read_transfer_tasks,
)
from jtcse.paths import data_root
from tests.fixtures.transfer import write_transfer_fixture

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# The sample counts of the shared data folder (its README, section A''; SentEval's paper),
# per task, split and label.
REAL_COUNTS = {
    ("MR", "all"): {1: 5331, 0: 5331},
    ("CR", "all"): {1: 2407, 0: 1368},
    ("SUBJ", "all"): {1: 5000, 0: 5000},
    ("MPQA", "all"): {1: 3312, 0: 7294},
    ("SST2", "train"): {0: 29780, 1: 37569},
    ("SST2", "dev"): {0: 428, 1: 444},
    ("SST2", "test"): {0: 912, 1: 909},
    ("TREC", "train"): dict(enumerate((86, 1162, 1250, 1223, 835, 896))),
    ("TREC", "test"): dict(enumerate((9, 138, 94, 65, 81, 113))),
    ("MRPC", "train"): {0: 1323, 1: 2753},
    ("MRPC", "test"): {0: 578, 1: 1147},
}


@pytest.fixture(scope="module")
def real_table():
    root = data_root(PROJECT_ROOT) / "senteval"
    if not (root / "MRPC").is_dir():
        pytest.skip(f"the shared SentEval data folder is not at {root}")
    return read_transfer_tasks(root)


def test_real_files_give_sentevals_counts_per_task_split_and_label(real_table) -> None:
    found: dict[tuple[str, str], dict[int, int]] = {}
    for (task, split, label), count in (
        real_table.groupby(["task", "split", "label"]).size().items()
    ):
        found.setdefault((task, split), {})[int(label)] = int(count)
    assert found == REAL_COUNTS
    assert list(real_table.columns) == COLUMNS


def test_real_files_keep_blank_lines_and_pairs(real_table) -> None:
    cr = real_table[real_table["task"] == "CR"]
    assert (cr["sentence1"] == "").sum() == 4  # SentEval counts CR's 4 blank lines as samples
    mrpc = real_table[real_table["task"] == "MRPC"]
    assert mrpc["sentence2"].notna().all()
    assert real_table[real_table["task"] != "MRPC"]["sentence2"].isna().all()
    first = mrpc.iloc[0]
    assert first["sentence1"].startswith("Amrozi accused his brother")
    assert first["label"] == 1


def test_fixture_reads_every_task_in_file_order(tmp_path: Path) -> None:
    root = write_transfer_fixture(tmp_path, per_class=3)
    table = read_transfer_tasks(root)
    assert tuple(table["task"].unique()) == TRANSFER_TASKS
    mr = table[table["task"] == "MR"]
    positive = (root / "MR" / "rt-polarity.pos").read_text().splitlines()
    assert mr["sentence1"].tolist()[:3] == positive
    assert mr["label"].tolist() == [1, 1, 1, 0, 0, 0]
    trec = table[(table["task"] == "TREC") & (table["split"] == "train")]
    assert trec["label"].tolist() == [label for label in range(6) for _ in range(3)]
    assert not trec["sentence1"].str.startswith("fine").any()  # the fine class is dropped
    assert len(table[table["task"] == "MRPC"]) == 2 * 6  # the header is not a sample


def test_sentences_are_rejoined_tokens_and_latin1_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "TREC"
    folder.mkdir()
    (folder / "train_5500.label").write_bytes(b"HUM:ind Who  was\tCaf\xe9 ?\n")
    (folder / "TREC_10.label").write_bytes(b"NUM:date When ?\n")
    table = read_transfer_tasks(tmp_path, ["TREC"])
    assert table["sentence1"].tolist() == ["Who was Caf\u00e9 ?", "When ?"]
    assert table["label"].tolist() == [TREC_CLASSES.index("HUM"), TREC_CLASSES.index("NUM")]


@pytest.mark.parametrize(
    ("task", "name", "text", "message"),
    [
        ("SST2", "sentiment-dev", "good film\t1\nno label here\n", r"sentiment-dev:2: expected"),
        ("SST2", "sentiment-dev", "good film\t2\n", r"sentiment-dev:1: expected"),
        ("TREC", "TREC_10.label", "WHAT:x who ?\n", r"TREC_10.label:1: expected 'COARSE"),
        ("MRPC", "msr_paraphrase_test.txt", "1\ta\tb\tc\td\n", r"test.txt:1: expected the header"),
        (
            "MRPC",
            "msr_paraphrase_test.txt",
            "Quality\t#1\t#2\ta\tb\n1\t2\t3\tonly four\n",
            r"test.txt:2: expected 'label<TAB>",
        ),
    ],
)
def test_a_bad_line_names_the_file_and_line(
    tmp_path: Path, task: str, name: str, text: str, message: str
) -> None:
    root = write_transfer_fixture(tmp_path, per_class=2)
    (root / TRANSFER_FILES[task].folder / name).write_text(text)
    with pytest.raises(SentEvalFormatError, match=message):
        read_transfer_tasks(root, [task])


def test_missing_file_folder_and_unknown_task(tmp_path: Path) -> None:
    root = write_transfer_fixture(tmp_path, per_class=2)
    (root / "CR" / "custrev.neg").unlink()
    with pytest.raises(SentEvalFormatError, match=r"custrev.neg: file not found"):
        read_transfer_tasks(root, ["CR"])
    with pytest.raises(SentEvalFormatError, match="data folder not found"):
        read_transfer_tasks(tmp_path / "absent")
    with pytest.raises(ValueError, match="unknown transfer task 'SST5'"):
        read_transfer_tasks(root, ["SST5"])
