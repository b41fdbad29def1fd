"""Tests of the Hub-to-SentEval conversion (jtcse.data.hub), on local rows only."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from jtcse.data.hub import (
    SICK_HEADER,
    clean_field,
    format_score,
    write_sick_split,
    write_sts_pairs,
    write_stsb_split,
)

PAIRS = [
    ("A man is playing a guitar.", "A man plays the guitar.", 4.8),
    ("Two dogs\trun\nin the snow.", "A cat\r\nsleeps.", 0.0),
    ("Unicode: caf\u00e9\u2028line", "ok", 2.25),
]
CLEANED = [
    ("A man is playing a guitar.", "A man plays the guitar.", "4.8"),
    ("Two dogs run in the snow.", "A cat  sleeps.", "0.0"),
    ("Unicode: caf\u00e9 line", "ok", "2.25"),
]


def _lines(path: Path) -> list[str]:
    """Lines of a written file, read with plain Python; the file must end with a newline."""
    raw = path.read_bytes()
    assert raw.endswith(b"\n")
    assert b"\r" not in raw
    return raw.decode("utf-8").split("\n")[:-1]


def _files(folder: Path) -> set[str]:
    return {entry.name for entry in folder.iterdir()}


def test_clean_field_replaces_tabs_and_line_breaks_by_spaces() -> None:
    assert clean_field("a\tb\nc\rd\x0be\x0cf\x85g\u2028h\u2029i") == "a b c d e f g h i"
    assert clean_field("no breaks, NBSP\u00a0kept") == "no breaks, NBSP\u00a0kept"


@pytest.mark.parametrize("score", [0, 1.5, 4.8, 3.14159265358979, 5])
def test_format_score_round_trips(score: float) -> None:
    assert float(format_score(score)) == score


@pytest.mark.parametrize("score", [math.nan, math.inf])
def test_format_score_rejects_non_finite(score: float) -> None:
    with pytest.raises(ValueError, match="score"):
        format_score(score)


def test_write_sts_pairs_writes_senteval_input_and_gold_files(tmp_path: Path) -> None:
    folder = tmp_path / "STS" / "STS12-en-test"
    write_sts_pairs(folder, "all", PAIRS)

    assert _files(folder) == {"STS.input.all.txt", "STS.gs.all.txt"}
    expected_input = "".join(f"{first}\t{second}\n" for first, second, _ in CLEANED)
    assert (folder / "STS.input.all.txt").read_bytes() == expected_input.encode("utf-8")
    assert (folder / "STS.gs.all.txt").read_bytes() == b"4.8\n0.0\n2.25\n"
    rows = [line.split("\t") for line in _lines(folder / "STS.input.all.txt")]
    scores = [float(line) for line in _lines(folder / "STS.gs.all.txt")]
    assert [(*row, score) for row, score in zip(rows, scores, strict=True)] == [
        (first, second, float(score)) for first, second, score in CLEANED
    ]
    # SentEval and the project reader split on str.splitlines: the row count must survive it
    text = (folder / "STS.input.all.txt").read_text(encoding="utf-8")
    assert len(text.splitlines()) == len(PAIRS)


@pytest.mark.parametrize("name", ["", "../escape", "a/b", " padded "])
def test_write_sts_pairs_rejects_bad_names(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="name"):
        write_sts_pairs(tmp_path, name, PAIRS)


def test_write_stsb_split_writes_seven_columns_without_header(tmp_path: Path) -> None:
    path = tmp_path / "STS" / "STSBenchmark" / "sts-dev.csv"
    write_stsb_split(path, PAIRS)

    lines = _lines(path)
    assert len(lines) == len(PAIRS)
    rows = [line.split("\t") for line in lines]
    assert all(len(row) == 7 for row in rows)
    assert rows == [
        ["unknown", "unknown", "unknown", f"{index:04d}", score, first, second]
        for index, (first, second, score) in enumerate(CLEANED, start=1)
    ]
    assert path.read_bytes().startswith(
        b"unknown\tunknown\tunknown\t0001\t4.8\tA man is playing a guitar.\t"
    )


def test_write_sick_split_writes_header_and_five_columns(tmp_path: Path) -> None:
    path = tmp_path / "SICK" / "SICK_test_annotated.txt"
    write_sick_split(path, PAIRS)

    lines = _lines(path)
    assert lines[0] == "pair_ID\tsentence_A\tsentence_B\trelatedness_score\tentailment_judgment"
    assert lines[0] == SICK_HEADER
    rows = [line.split("\t") for line in lines[1:]]
    assert rows == [
        [str(index), first, second, score, ""]
        for index, (first, second, score) in enumerate(CLEANED, start=1)
    ]


def test_writers_accept_empty_input(tmp_path: Path) -> None:
    write_sick_split(tmp_path / "sick.txt", [])
    write_stsb_split(tmp_path / "stsb.csv", [])
    assert (tmp_path / "sick.txt").read_bytes() == (SICK_HEADER + "\n").encode()
    assert (tmp_path / "stsb.csv").read_bytes() == b""


def test_writes_leave_no_temporary_files_and_overwrite(tmp_path: Path) -> None:
    write_sts_pairs(tmp_path, "all", PAIRS)
    write_sts_pairs(tmp_path, "all", PAIRS[:1])
    write_stsb_split(tmp_path / "sts-test.csv", PAIRS)
    write_sick_split(tmp_path / "SICK_test_annotated.txt", PAIRS)

    assert _files(tmp_path) == {
        "STS.input.all.txt",
        "STS.gs.all.txt",
        "sts-test.csv",
        "SICK_test_annotated.txt",
    }
    assert (tmp_path / "STS.gs.all.txt").read_bytes() == b"4.8\n"


def _rows_then_failure() -> Iterator[tuple[str, str, float]]:
    yield PAIRS[0]
    raise OSError("source broke mid-way")


def test_failed_write_keeps_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "sts-train.csv"
    write_stsb_split(path, PAIRS)
    before = path.read_bytes()

    with pytest.raises(OSError, match="mid-way"):
        write_stsb_split(path, _rows_then_failure())
    with pytest.raises(ValueError, match="finite"):
        write_sick_split(tmp_path / "SICK_train.txt", [("a", "b", math.nan)])

    assert path.read_bytes() == before
    assert _files(tmp_path) == {"sts-train.csv"}


def test_written_files_read_back_through_senteval_reader(tmp_path: Path) -> None:
    from jtcse.data.senteval import read_sts_subset, read_sts_tasks

    pairs = [("a man plays", "a man is playing", 4.5), ("a dog", "the sky", 0.25)]
    write_sts_pairs(tmp_path / "STS" / "STS12-en-test", "all", pairs)
    for split in ("train", "dev", "test"):
        write_stsb_split(tmp_path / "STS" / "STSBenchmark" / f"sts-{split}.csv", pairs)
    for file_name in ("SICK_train.txt", "SICK_trial.txt", "SICK_test_annotated.txt"):
        write_sick_split(tmp_path / "SICK" / file_name, pairs)

    subset = read_sts_subset(tmp_path / "STS" / "STS12-en-test", "all")
    assert [(pair.sentence1, pair.sentence2, pair.score) for pair in subset] == pairs

    table = read_sts_tasks(tmp_path, ["STSBenchmark", "SICKRelatedness"])
    assert len(table) == 12
    for _, group in table.groupby(["task", "split"]):
        assert list(zip(group.sentence1, group.sentence2, group.score, strict=True)) == pairs
    assert set(table["split"]) == {"train", "dev", "test", "trial"}


def test_downloads_raise_clear_error_without_the_hub(tmp_path: Path) -> None:
    """Offline (HF_HUB_OFFLINE=1) with an empty cache both downloads fail with a RuntimeError
    that names HF_HUB_OFFLINE; nothing is written."""
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from jtcse.data.hub import download_sts, download_wiki1m

        target = Path(sys.argv[1])
        for call in (lambda: download_wiki1m(target / "wiki1m.txt"),
                     lambda: download_sts(target / "senteval")):
            try:
                call()
            except RuntimeError as error:
                print("RuntimeError:", error)
            else:
                print("no error")
        """
    )
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("HF_", "HUGGINGFACE_"))
    }
    environment.update(HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path / "hf_home"))
    output_folder = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-c", script, str(output_folder)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=True,
    )
    messages = result.stdout.splitlines()
    assert len(messages) == 2, result.stdout + result.stderr
    assert "princeton-nlp/datasets-for-simcse/wiki1m_for_simcse.txt" in messages[0]
    assert "mteb/sts12-sts" in messages[1]
    for message in messages:
        assert message.startswith("RuntimeError:")
        assert "HF_HUB_OFFLINE" in message
        assert "no internet" in message
    assert not output_folder.exists()
