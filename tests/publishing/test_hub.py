"""``jtcse push``: the files it uploads, the calls it makes to the Hub, its errors."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from huggingface_hub import CommitOperationAdd

from jtcse.console import main
from jtcse.publishing.hub import push_model, upload_files


class RecordingHub:
    """Stands in for ``huggingface_hub.HfApi``: records the calls ``push_model`` makes."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def create_repo(self, *args: Any, **kwargs: Any) -> None:
        self.calls.append(("create_repo", args, kwargs))

    def create_commit(self, *args: Any, **kwargs: Any) -> SimpleNamespace:
        self.calls.append(("create_commit", args, kwargs))
        return SimpleNamespace(commit_url="https://hub.invalid/me/model/commit/1")


@pytest.fixture
def model_folder(tiny_bert_path: Path, tmp_path: Path) -> Path:
    folder = Path(shutil.copytree(tiny_bert_path, tmp_path / "model"))
    (folder / "README.md").write_text("---\nlibrary_name: sentence-transformers\n---\n# model\n")
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text("{}")
    (folder / ".config.json.1234.tmp").write_text("left by an interrupted write")
    return folder


def test_the_upload_is_every_file_but_hidden_ones(model_folder: Path) -> None:
    files = upload_files(model_folder)
    assert files == sorted(files)
    assert {"README.md", "config.json", "model.safetensors", "1_Pooling/config.json"} <= set(files)
    assert not any(name.startswith(".") for name in files)


def test_a_folder_without_its_card_or_model_is_refused(model_folder: Path, tmp_path) -> None:
    (model_folder / "README.md").unlink()
    with pytest.raises(FileNotFoundError, match=r"no model card README\.md"):
        upload_files(model_folder)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "README.md").write_text("# notes\n")
    with pytest.raises(FileNotFoundError, match="not a model folder"):
        upload_files(tmp_path / "notes")
    with pytest.raises(FileNotFoundError, match="model folder not found"):
        upload_files(tmp_path / "missing")


def test_push_creates_the_repository_and_commits_the_files_once(model_folder: Path) -> None:
    hub = RecordingHub()
    url = push_model(model_folder, "me/jtcse-student", private=True, api=hub)  # type: ignore[arg-type]
    assert url == "https://hub.invalid/me/model/commit/1"  # what create_commit returned
    (create, create_args, create_kwargs), (commit, commit_args, commit_kwargs) = hub.calls
    assert (create, create_args) == ("create_repo", ("me/jtcse-student",))
    assert create_kwargs == {"repo_type": "model", "private": True, "exist_ok": True}
    assert commit == "create_commit" and commit_args[0] == "me/jtcse-student"
    operations = commit_args[1]
    assert all(isinstance(operation, CommitOperationAdd) for operation in operations)
    assert [operation.path_in_repo for operation in operations] == upload_files(model_folder)
    for operation in operations:
        assert Path(operation.path_or_fileobj) == model_folder / operation.path_in_repo
    assert commit_kwargs["repo_type"] == "model" and "model" in commit_kwargs["commit_message"]


def test_an_invalid_repo_id_is_refused_before_any_call(model_folder: Path) -> None:
    hub = RecordingHub()
    with pytest.raises(ValueError, match="namespace/repo_name"):
        push_model(model_folder, "me/two/slashes", api=hub)  # type: ignore[arg-type]
    assert hub.calls == []


def test_the_cli_dry_run_lists_the_upload(model_folder: Path, capsys) -> None:
    assert main(["push", "--model", str(model_folder), "--repo-id", "me/m", "--dry-run"]) == 0
    output = capsys.readouterr().out
    assert output.startswith(f"would upload {len(upload_files(model_folder))} files to me/m")
    assert "  1_Pooling/config.json\n" in output


def test_the_real_upload_path_fails_cleanly_offline(model_folder: Path) -> None:
    """No dry run: the real ``HfApi`` is called and, offline, refuses in one line."""
    arguments = ["push", "--model", str(model_folder), "--repo-id", "me/m"]
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            f"from jtcse.console import main; raise SystemExit(main({arguments}))",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "HF_TOKEN": "hf_not_a_real_token"},
        timeout=120,
    )
    assert completed.returncode == 2, completed.stderr
    assert completed.stderr.startswith("jtcse: error: ") and "offline" in completed.stderr.lower()
