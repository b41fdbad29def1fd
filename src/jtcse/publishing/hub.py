"""Upload a model folder to the Hugging Face Hub as one commit (``jtcse push``).

:func:`upload_files` is what would be uploaded: every file under the folder but hidden ones
(a ``.name.tmp`` left by an interrupted write, ``.git``), each at its path relative to the
folder; the folder must be a finished model folder with its model card. :func:`push_model`
creates the repository if needed (private or not) and commits those files in one commit, so
a reader of the repository sees all of them or none.

Example:
    >>> push_model("data/06_models/student", "USER/jtcse-minilm-student", private=True)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from jtcse.modeling.folders import MODEL_CARD_FILE, ONNX_MODEL_FILE

if TYPE_CHECKING:
    from huggingface_hub import HfApi

MODEL_MARKERS = ("config.json", ONNX_MODEL_FILE)


def upload_files(folder: str | Path) -> list[str]:
    """The files of ``folder`` to upload, as sorted POSIX paths relative to it.

    Raises FileNotFoundError naming the folder when it is missing, is not a model folder (no
    ``config.json`` nor ONNX model) or has no model card (``README.md``).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"model folder not found: {folder}")
    if not any((folder / marker).is_file() for marker in MODEL_MARKERS):
        raise FileNotFoundError(f"{folder}: not a model folder (none of {list(MODEL_MARKERS)})")
    if not (folder / MODEL_CARD_FILE).is_file():
        raise FileNotFoundError(
            f"{folder}: no model card {MODEL_CARD_FILE}; write it with "
            "`kedro run --pipelines model_cards`"
        )
    relative = (path.relative_to(folder) for path in folder.rglob("*") if path.is_file())
    return sorted(
        path.as_posix() for path in relative if not any(part.startswith(".") for part in path.parts)
    )


def push_model(
    folder: str | Path,
    repo_id: str,
    private: bool = False,
    api: HfApi | None = None,
    commit_message: str | None = None,
) -> str:
    """Create the model repository ``repo_id`` if needed and upload :func:`upload_files` of
    ``folder`` in one commit; return the commit's URL.

    ``api`` defaults to ``huggingface_hub.HfApi()`` (token from ``HF_TOKEN`` or
    ``hf auth login``). An existing repository keeps its visibility. Raises ValueError for an
    invalid ``repo_id`` and OSError for the Hub's refusals (offline, no access).
    """
    from huggingface_hub import CommitOperationAdd, HfApi
    from huggingface_hub.utils import validate_repo_id

    validate_repo_id(repo_id)
    folder = Path(folder)
    files = upload_files(folder)
    api = api or HfApi()
    api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
    operations = [
        CommitOperationAdd(path_in_repo=name, path_or_fileobj=str(folder / name)) for name in files
    ]
    commit = api.create_commit(
        repo_id,
        operations,
        commit_message=commit_message or f"Upload {folder.name} (jtcse push)",
        repo_type="model",
    )
    return str(commit.commit_url)
