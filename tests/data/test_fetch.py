"""``jtcse data`` (jtcse.data.fetch): what it fetches from a fake Hub into the data root's
layout, what it leaves alone, and the one-line error offline or where the Hub is unreachable;
the chain's datasets name the same missing inputs and the command."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from kedro.io import DatasetError

from jtcse.console import main
from jtcse.data.fetch import (
    INPUTS,
    NOT_ON_HUB,
    SIMCSE_DATASETS,
    DataRootError,
    data_command,
    fetch_inputs,
    missing_inputs,
)
from jtcse.datasets import DataFolderDataset, InputTextDataset, SentEvalDataset

# A miniature senteval.tar: SentEval's downstream folders, one file each, under a top folder
SENTEVAL_FILES = {
    "STS/STS12-en-test/STS.input.MSRpar.txt": "a man plays\ta man is playing\n",
    "STS/STS12-en-test/STS.gs.MSRpar.txt": "4.5\n",
    "SICK/SICK_train.txt": "pair_ID\tsentence_A\tsentence_B\trelatedness_score\tx\n",
    **{f"{folder}/data.txt": f"{folder} text\n" for folder in ("MR", "CR", "SUBJ", "MPQA")},
    **{f"{folder}/data.txt": f"{folder} text\n" for folder in ("SST", "TREC", "MRPC")},
}
CORPUS = "The first sentence.\nThe second one.\n"


def _tar(path: Path, files: dict[str, str], top: str = "downstream/") -> Path:
    with tarfile.open(path, "w") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(top + name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


class FakeHub:
    """Stands in for ``huggingface_hub.HfApi``: serves files of a local folder as the
    repository ``princeton-nlp/datasets-for-simcse`` and records each download."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.calls: list[tuple[str, str, str | None]] = []

    def hf_hub_download(self, repo_id: str, filename: str, *, repo_type: str | None = None) -> str:
        self.calls.append((repo_id, filename, repo_type))
        if repo_id != SIMCSE_DATASETS or not (self.folder / filename).is_file():
            raise FileNotFoundError(f"404: {repo_id}/{filename}")
        return str(self.folder / filename)


class UnreachableHub:
    def hf_hub_download(self, repo_id: str, filename: str, *, repo_type: str | None = None) -> str:
        raise ConnectionError("Name or service not known: huggingface.co")


@pytest.fixture
def hub(tmp_path: Path) -> FakeHub:
    folder = tmp_path / "hub"
    folder.mkdir()
    _tar(folder / "senteval.tar", SENTEVAL_FILES)
    (folder / "wiki1m_for_simcse.txt").write_text(CORPUS)
    return FakeHub(folder)


def _files(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): path.read_text()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_an_empty_root_is_filled_in_the_documented_layout(hub: FakeHub, tmp_path: Path) -> None:
    root = tmp_path / "data_root"
    report = fetch_inputs(root, hub)

    assert hub.calls == [
        (SIMCSE_DATASETS, "senteval.tar", "dataset"),
        (SIMCSE_DATASETS, "wiki1m_for_simcse.txt", "dataset"),
    ]
    expected = {f"senteval/{name}": text for name, text in SENTEVAL_FILES.items()}
    expected["unsup_corpus/train_all.txt"] = CORPUS
    assert _files(root) == expected  # no archive, no temporary folder left behind
    assert report.present == []
    assert report.missing == missing_inputs(root) == list(NOT_ON_HUB)
    assert report.fetched == [
        *(p for p in INPUTS if p.startswith("senteval/")),
        "unsup_corpus/train_all.txt",
    ]
    # the SentEval reader reads what was written
    from jtcse.data.senteval import read_sts_subset

    pairs = read_sts_subset(root / "senteval" / "STS" / "STS12-en-test", "MSRpar")
    assert [(p.sentence1, p.sentence2, p.score) for p in pairs] == [
        ("a man plays", "a man is playing", 4.5)
    ]


def test_only_what_the_root_lacks_is_fetched_and_nothing_present_changes(
    hub: FakeHub, tmp_path: Path
) -> None:
    root = tmp_path / "data_root"
    (root / "senteval" / "STS").mkdir(parents=True)
    (root / "senteval" / "STS" / "mine.txt").write_text("kept")
    (root / "unsup_corpus").mkdir()
    (root / "unsup_corpus" / "train_all.txt").write_text("my corpus\n")

    report = fetch_inputs(root, hub)

    assert hub.calls == [(SIMCSE_DATASETS, "senteval.tar", "dataset")]  # no corpus download
    files = _files(root)
    assert files["senteval/STS/mine.txt"] == "kept"
    assert not any(name.startswith("senteval/STS/STS12") for name in files)
    assert files["senteval/MR/data.txt"] == "MR text\n"
    assert files["unsup_corpus/train_all.txt"] == "my corpus\n"
    assert "senteval/STS" in report.present and "senteval/STS" not in report.fetched

    # a complete root makes no call at all
    for folder in NOT_ON_HUB:
        (root / folder).mkdir()
    assert data_command(root, api=UnreachableHub()) == 0
    assert missing_inputs(root) == []


def test_an_unreachable_hub_is_one_line_naming_the_root_paths_and_command(
    tmp_path: Path,
) -> None:
    root = tmp_path / "data_root"
    with pytest.raises(DataRootError) as caught:
        fetch_inputs(root, UnreachableHub())
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(
        f"the data root {root} lacks senteval/, unsup_corpus/train_all.txt, mteb_style, "
        "sts_original ($JTCSE_DATA_ROOT, else data_root in conf/base/globals.yml, chooses the "
        "root); the Hugging Face Hub cannot be reached ("
    )
    assert "ConnectionError: Name or service not known" in message
    assert "run `jtcse data` where it can to fetch senteval/, unsup_corpus/train_all.txt" in message
    assert message.endswith(
        "mteb_style, sts_original are not on the Hub: copy them from a data root that has them"
    )
    assert not root.exists()  # nothing written


def test_the_cli_fetches_with_huggingface_hubs_api(
    hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "HfApi", lambda: hub)
    root = tmp_path / "data_root"
    monkeypatch.setenv("JTCSE_DATA_ROOT", str(root))

    assert main(["data"]) == 0
    output = capsys.readouterr().out
    assert f"fetched  {root / 'senteval/MR'}\n" in output
    assert f"fetched  {root / 'unsup_corpus/train_all.txt'}\n" in output
    assert (
        output.rstrip()
        .splitlines()[-1]
        .startswith(f"note: the data root {root} lacks mteb_style, sts_original")
    )
    assert main(["data", "--check"]) == 2  # mteb_style and sts_original are still missing
    error = capsys.readouterr().err
    assert error.startswith("jtcse: error: the data root") and error.count("\n") == 1


def test_offline_the_command_fails_in_one_line_and_writes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "data_root"
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("HF_", "HUGGINGFACE_"))
    }
    environment.update(HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path / "hf_home"))
    completed = subprocess.run(
        [sys.executable, "-m", "jtcse.console", "data", "--data-root", str(root)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 2, completed.stderr
    assert completed.stdout == ""
    lines = completed.stderr.splitlines()
    assert len(lines) == 1, completed.stderr
    assert lines[0].startswith(f"jtcse: error: the data root {root} lacks senteval/, ")
    for words in ("$JTCSE_DATA_ROOT", "HF_HUB_OFFLINE is set", "run `jtcse data` where it can"):
        assert words in lines[0]
    assert not root.exists()


def test_an_archive_member_leaving_its_folder_is_refused(hub: FakeHub, tmp_path: Path) -> None:
    _tar(hub.folder / "senteval.tar", {"MR/../../../escaped.txt": "no"})
    root = tmp_path / "data_root"
    with pytest.raises(DataRootError, match=r"senteval\.tar: cannot extract SentEval's folders"):
        fetch_inputs(root, hub)
    assert not (tmp_path / "escaped.txt").exists()
    assert [path.name for path in root.iterdir()] == ["senteval"]  # no temporary folder left
    assert list((root / "senteval").iterdir()) == []


@pytest.mark.parametrize(
    "dataset",
    [
        lambda root: SentEvalDataset(str(root / "senteval")),
        lambda root: InputTextDataset(str(root / "unsup_corpus" / "train_all.txt"), str(root)),
        lambda root: DataFolderDataset(str(root), ["mteb_style", "senteval", "sts_original"]),
    ],
)
def test_the_chains_datasets_name_every_missing_input_and_the_command(
    dataset, tmp_path: Path
) -> None:
    """The chain's first stage fails on its first data-root dataset: the error (a Kedro
    DatasetError, and the DataRootError of ``jtcse data``) lists everything the root lacks,
    ``$JTCSE_DATA_ROOT`` and ``jtcse data``."""
    root = tmp_path / "empty_root"
    root.mkdir()
    (root / "senteval").mkdir()  # present but empty: its folders are named one by one
    with pytest.raises(DatasetError) as caught:
        dataset(root).load()
    assert isinstance(caught.value, DataRootError)
    assert str(caught.value) == (
        f"the data root {root} lacks senteval/STS, senteval/SICK, senteval/MR, senteval/CR, "
        "senteval/SUBJ, senteval/MPQA, senteval/SST, senteval/TREC, senteval/MRPC, "
        "unsup_corpus/train_all.txt, mteb_style, sts_original ($JTCSE_DATA_ROOT, else "
        "data_root in conf/base/globals.yml, chooses the root); `jtcse data` fetches "
        "senteval/STS, senteval/SICK, senteval/MR, senteval/CR, senteval/SUBJ, senteval/MPQA, "
        "senteval/SST, senteval/TREC, senteval/MRPC, unsup_corpus/train_all.txt from the "
        "Hugging Face Hub; mteb_style, sts_original are not on the Hub: copy them from a data "
        "root that has them"
    )


def test_the_sources_table_names_each_input(capsys: pytest.CaptureFixture) -> None:
    assert main(["data", "--sources"]) == 0
    rows = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert rows[0] == ["path in the data root", "Hub repository", "type", "file: conversion"]
    assert rows[2][:3] == ["unsup_corpus/train_all.txt", SIMCSE_DATASETS, "dataset"]
    named = {path for row in rows[1:] for path in row[0].split(", ")}
    assert named == set(INPUTS)
