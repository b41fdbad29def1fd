"""Tests of the SentEval STS reader (jtcse.data.senteval) on small layouts written here."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from jtcse.data.senteval import (
    ALL_TASKS,
    COLUMNS,
    STS_YEAR_SUBSETS,
    SentEvalFormatError,
    read_sts_subset,
    read_sts_tasks,
    rejoin_tokens,
    year_subsets,
)
from jtcse.evaluation.sts import evaluation_pairs
from tests.fixtures.senteval import write_senteval_fixture

SCORED, UNSCORED, PER_SPLIT = 3, 1, 5


@pytest.fixture()
def senteval_root(tmp_path: Path) -> Path:
    return write_senteval_fixture(
        tmp_path / "senteval",
        pairs_per_subset=SCORED,
        unscored_per_subset=UNSCORED,
        pairs_per_split=PER_SPLIT,
    )


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


def _stsb_row(score: str, sentence1: str = "a man .", sentence2: str = "a dog .") -> str:
    return f"main-captions\tMSRvid\t2012test\t0001\t{score}\t{sentence1}\t{sentence2}\n"


def test_reads_every_task_split_and_subset_with_their_counts(senteval_root: Path) -> None:
    table = read_sts_tasks(senteval_root)

    assert list(table.columns) == COLUMNS
    assert table["score"].dtype == "float64"
    assert list(pd.unique(table["task"])) == list(ALL_TASKS)
    for year, subsets in STS_YEAR_SUBSETS.items():
        rows = table[table["task"] == year]
        assert set(rows["split"]) == {"test"}
        assert tuple(pd.unique(rows["subset"])) == subsets
        assert rows.groupby("subset").size().eq(SCORED + UNSCORED).all()
        assert rows.groupby("subset")["score"].count().eq(SCORED).all()
    sizes = table[table["task"].isin(["STSBenchmark", "SICKRelatedness"])].groupby(
        ["task", "subset", "split"]
    )
    assert sizes.size().to_dict() == {
        ("SICKRelatedness", "SICK", split): PER_SPLIT for split in ("test", "train", "trial")
    } | {("STSBenchmark", "STSBenchmark", split): PER_SPLIT for split in ("dev", "test", "train")}
    assert table["sentence1"].str.len().gt(0).all()


def test_empty_gold_lines_give_nan_and_the_evaluator_drops_them(senteval_root: Path) -> None:
    table = read_sts_tasks(senteval_root)
    years = table[table["task"].isin(list(STS_YEAR_SUBSETS))]
    subsets = sum(len(names) for names in STS_YEAR_SUBSETS.values())
    assert years["score"].isna().sum() == subsets * UNSCORED

    selected = evaluation_pairs(table)
    assert selected["score"].notna().all()
    assert len(selected[selected["task"].isin(list(STS_YEAR_SUBSETS))]) == subsets * SCORED


def test_unscored_pairs_keep_their_position(tmp_path: Path) -> None:
    _write(tmp_path / "STS.input.x.txt", "a b\tc d\ne f\tg h\ni j\tk l\nm n\to p\n")
    _write(tmp_path / "STS.gs.x.txt", "1.5\n\n4\n")  # ends one line early: last pair unscored

    pairs = read_sts_subset(tmp_path, "x")

    assert [pair.sentence1 for pair in pairs] == ["a b", "e f", "i j", "m n"]
    scores = [pair.score for pair in pairs]
    assert scores[0] == 1.5 and scores[2] == 4.0
    assert math.isnan(scores[1]) and math.isnan(scores[3])


def test_crlf_line_endings(tmp_path: Path, senteval_root: Path) -> None:
    _write(tmp_path / "STS.input.x.txt", "a b\tc d\r\ne f\tg h\r\ni j\tk l\r\n")
    _write(tmp_path / "STS.gs.x.txt", "2.5\r\n\r\n0.5\r\n")

    pairs = read_sts_subset(tmp_path, "x")

    assert [(pair.sentence1, pair.sentence2) for pair in pairs] == [
        ("a b", "c d"),
        ("e f", "g h"),
        ("i j", "k l"),
    ]
    assert pairs[0].score == 2.5 and math.isnan(pairs[1].score) and pairs[2].score == 0.5
    assert b"\r\n" in (senteval_root / "SICK" / "SICK_test_annotated.txt").read_bytes()
    sick = read_sts_tasks(senteval_root, tasks=["SICKRelatedness"], splits=["test"])
    assert len(sick) == PER_SPLIT
    assert not sick[["sentence1", "sentence2"]].map(lambda text: "\r" in text).any().any()


def test_sick_header_row_is_skipped(senteval_root: Path) -> None:
    sick = read_sts_tasks(senteval_root, tasks=["SICKRelatedness"])

    assert len(sick) == 3 * PER_SPLIT
    assert "sentence_A" not in set(sick["sentence1"])
    assert sick["score"].between(1.0, 5.0).all()


def test_header_row_of_an_stsb_file_is_skipped(tmp_path: Path) -> None:
    root = write_senteval_fixture(tmp_path / "senteval", pairs_per_split=2)
    header = "genre\tfile\tyear\tid\tscore\tsentence1\tsentence2\n"
    _write(root / "STS" / "STSBenchmark" / "sts-test.csv", header + _stsb_row("3.25"))

    stsb = read_sts_tasks(root, tasks=["STSBenchmark"], splits=["test"])

    assert stsb[["sentence1", "sentence2", "score"]].values.tolist() == [
        ["a man .", "a dog .", 3.25]
    ]


@pytest.mark.parametrize(
    ("line", "fields"), [("a b\tc d\te f", 3), ("a single sentence", 1)], ids=["3", "1"]
)
def test_malformed_input_line_names_file_and_line(tmp_path: Path, line: str, fields: int) -> None:
    input_path = _write(tmp_path / "STS.input.x.txt", f"a\tb\nc\td\n{line}\n")
    _write(tmp_path / "STS.gs.x.txt", "1\n2\n3\n")

    with pytest.raises(SentEvalFormatError, match=rf"got {fields}$") as error:
        read_sts_subset(tmp_path, "x")

    assert str(error.value).startswith(f"{input_path}:3:")


def test_short_stsb_row_names_file_and_line(tmp_path: Path) -> None:
    root = write_senteval_fixture(tmp_path / "senteval", pairs_per_split=2)
    path = _write(
        root / "STS" / "STSBenchmark" / "sts-dev.csv",
        _stsb_row("1.0") + "main-captions\tMSRvid\t2012test\t0002\t2.0\tonly one sentence\n",
    )

    with pytest.raises(SentEvalFormatError) as error:
        read_sts_tasks(root, tasks=["STSBenchmark"])

    assert str(error.value).startswith(f"{path}:2:")
    assert "got 6" in str(error.value)


@pytest.mark.parametrize("score", ["high", "4,5", "nan", "inf"])
def test_bad_gold_score_names_file_and_line(tmp_path: Path, score: str) -> None:
    _write(tmp_path / "STS.input.x.txt", "a\tb\nc\td\ne\tf\n")
    gold_path = _write(tmp_path / "STS.gs.x.txt", f"1\n\n{score}\n")

    with pytest.raises(SentEvalFormatError, match=repr(score)) as error:
        read_sts_subset(tmp_path, "x")

    assert str(error.value).startswith(f"{gold_path}:3:")


def test_bad_score_after_the_first_row_of_a_tabular_file_is_an_error(tmp_path: Path) -> None:
    root = write_senteval_fixture(tmp_path / "senteval", pairs_per_split=2)
    sick_path = root / "SICK" / "SICK_trial.txt"
    lines = sick_path.read_text().splitlines()
    lines[2] = lines[2].replace(lines[2].split("\t")[3], "related")
    _write(sick_path, "\n".join(lines) + "\n")

    with pytest.raises(SentEvalFormatError) as error:
        read_sts_tasks(root, tasks=["SICKRelatedness"])

    assert str(error.value).startswith(f"{sick_path}:3:")
    assert "'related' is not a number" in str(error.value)


def test_missing_files_and_folders_name_the_path(senteval_root: Path, tmp_path: Path) -> None:
    gold_path = senteval_root / "STS" / "STS13-en-test" / "STS.gs.headlines.txt"
    gold_path.unlink()
    with pytest.raises(SentEvalFormatError, match="file not found") as error:
        read_sts_tasks(senteval_root, tasks=["STS13"])
    assert str(gold_path) in str(error.value)

    stsb_path = senteval_root / "STS" / "STSBenchmark" / "sts-test.csv"
    stsb_path.unlink()
    with pytest.raises(SentEvalFormatError, match="file not found") as error:
        read_sts_tasks(senteval_root, tasks=["STSBenchmark"])
    assert str(stsb_path) in str(error.value)

    missing_root = tmp_path / "nowhere"
    with pytest.raises(SentEvalFormatError, match="folder not found") as error:
        read_sts_tasks(missing_root)
    assert str(missing_root) in str(error.value)


def test_gold_file_longer_than_input_is_an_error(tmp_path: Path) -> None:
    _write(tmp_path / "STS.input.x.txt", "a\tb\nc\td\n")
    gold_path = _write(tmp_path / "STS.gs.x.txt", "1\n2\n3\n")

    with pytest.raises(SentEvalFormatError, match=r"3 lines but STS\.input\.x\.txt has 2") as error:
        read_sts_subset(tmp_path, "x")

    assert str(error.value).startswith(str(gold_path))


def test_splits_restrict_what_is_read(senteval_root: Path) -> None:
    for name in ("sts-train.csv",):
        (senteval_root / "STS" / "STSBenchmark" / name).unlink()
    for name in ("SICK_train.txt", "SICK_trial.txt"):
        (senteval_root / "SICK" / name).unlink()

    evaluation = read_sts_tasks(senteval_root, splits=("test", "dev"))
    dev_only = read_sts_tasks(senteval_root, splits={"dev"})

    assert evaluation.groupby("task")["split"].agg(set).to_dict() == {
        **{year: {"test"} for year in STS_YEAR_SUBSETS},
        "STSBenchmark": {"test", "dev"},
        "SICKRelatedness": {"test"},
    }
    assert set(zip(dev_only["task"], dev_only["split"], strict=True)) == {("STSBenchmark", "dev")}
    assert len(dev_only) == PER_SPLIT
    with pytest.raises(SentEvalFormatError, match=r"sts-train\.csv"):
        read_sts_tasks(senteval_root)


@pytest.mark.parametrize("splits", ["test", ["test", "validation"]])
def test_unknown_split_names_are_rejected(senteval_root: Path, splits: object) -> None:
    with pytest.raises(ValueError, match="splits must be among train, dev, trial, test"):
        read_sts_tasks(senteval_root, splits=splits)


def test_unknown_task_is_rejected(senteval_root: Path) -> None:
    with pytest.raises(ValueError, match="unknown STS task 'STS17'"):
        read_sts_tasks(senteval_root, tasks=["STS12", "STS17"])


def test_tasks_restrict_what_is_read(senteval_root: Path) -> None:
    table = read_sts_tasks(senteval_root, tasks=["STS16", "STSBenchmark"])

    assert list(pd.unique(table["task"])) == ["STS16", "STSBenchmark"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a  b\tc", "a b c"),
        ("  leading and trailing  ", "leading and trailing"),
        ("non\u00a0breaking\u2009space", "non breaking space"),
        (" \t ", ""),
    ],
)
def test_rejoin_tokens(raw: str, expected: str) -> None:
    assert rejoin_tokens(raw) == expected


def test_whitespace_inside_fields_is_rejoined(tmp_path: Path) -> None:
    folder = tmp_path / "STS" / "STS12-en-test"
    _write(folder / "STS.input.all.txt", "  a  man   is playing .  \t the   cat  sits .\n")
    _write(folder / "STS.gs.all.txt", "4.2\n")
    stsb = tmp_path / "STS" / "STSBenchmark" / "sts-test.csv"
    _write(stsb, _stsb_row(" 2.0 ", "  two  dogs   run .", "a\u00a0dog  runs .  "))

    pairs = read_sts_subset(folder, "all")
    table = read_sts_tasks(tmp_path, tasks=["STSBenchmark"], splits=["test"])

    assert (pairs[0].sentence1, pairs[0].sentence2) == ("a man is playing .", "the cat sits .")
    assert table[["sentence1", "sentence2", "score"]].values.tolist() == [
        ["two dogs run .", "a dog runs .", 2.0]
    ]


def test_year_folder_with_a_single_all_subset_is_discovered(tmp_path: Path) -> None:
    root = write_senteval_fixture(tmp_path / "senteval")
    folder = root / "STS" / "STS14-en-test"
    for path in folder.iterdir():
        path.unlink()
    _write(folder / "STS.input.all.txt", "a b\tc d\ne f\tg h\n")
    _write(folder / "STS.gs.all.txt", "1.0\n2.0\n")

    table = read_sts_tasks(root, tasks=["STS14"])

    assert year_subsets(folder, "STS14") == ("all",)
    assert table[["subset", "sentence1", "score"]].values.tolist() == [
        ["all", "a b", 1.0],
        ["all", "e f", 2.0],
    ]


def test_year_subsets_prefers_the_standard_names(tmp_path: Path) -> None:
    folder = tmp_path / "STS13-en-test"
    _write(folder / "STS.input.headlines.txt", "a\tb\n")
    _write(folder / "STS.input.extra.txt", "a\tb\n")

    assert year_subsets(folder, "STS13") == STS_YEAR_SUBSETS["STS13"]
    assert year_subsets(tmp_path / "absent", "STS12") == STS_YEAR_SUBSETS["STS12"]
    with pytest.raises(SentEvalFormatError, match=r"STS\.input\.FNWN\.txt: file not found"):
        read_sts_subset(folder, "FNWN")
