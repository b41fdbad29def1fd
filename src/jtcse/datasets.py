"""Kedro datasets of the project: the SentEval folder, reports, NumPy arrays, figures and model
folders written atomically, and the working directories of training nodes.

Each takes Kedro's free-form ``metadata`` (the catalog's ``metadata: {dvc: ...}`` tells
:mod:`jtcse.chain.stages` how DVC tracks the dataset)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from kedro.io import AbstractDataset, DatasetError

from jtcse.atomic import open_atomic, write_json_atomic, write_text_atomic
from jtcse.data.fetch import DataRootError, missing_data_message, missing_inputs
from jtcse.data.senteval import read_sts_tasks
from jtcse.modeling.folders import check_model_folder, copy_model_folder

if TYPE_CHECKING:
    from matplotlib.figure import Figure


class MissingInputError(DatasetError, DataRootError):
    """An input under the data root is missing: one line naming every input the root lacks,
    ``$JTCSE_DATA_ROOT`` and ``jtcse data`` (:func:`jtcse.data.fetch.missing_data_message`),
    which ``kedro run`` reports after the dataset's name (the chain's first failure where the
    data root is empty). A :class:`~jtcse.data.fetch.DataRootError` as ``jtcse data`` raises."""

    @classmethod
    def under(cls, root: Path, missing: list[str]) -> MissingInputError:
        """The error for ``missing`` (paths relative to ``root``) and every other input of
        :data:`jtcse.data.fetch.INPUTS` that ``root`` lacks."""
        known = missing_inputs(root)
        extra = [
            path
            for path in missing
            if path not in known and not any(k.startswith(f"{path}/") for k in known)
        ]
        return cls(missing_data_message(root, known + extra))


class SentEvalDataset(AbstractDataset[None, pd.DataFrame]):
    """Read-only: a SentEval ``downstream`` folder loaded as one tidy STS table.

    Args:
        path: the folder holding ``STS/`` and ``SICK/``.
        splits: read only these splits (default: all).
    """

    def __init__(
        self, path: str, splits: list[str] | None = None, metadata: dict[str, Any] | None = None
    ) -> None:
        self.metadata = metadata
        self._path = Path(path)
        self._splits = splits

    def load(self) -> pd.DataFrame:
        lacking = [name for name in ("STS", "SICK") if not (self._path / name).is_dir()]
        if lacking:  # the folder, or its STS/SICK part, is not there at all
            root, name = self._path.parent, self._path.name
            raise MissingInputError.under(root, [f"{name}/{folder}" for folder in lacking])
        return read_sts_tasks(self._path, splits=self._splits)

    def save(self, data: None) -> None:
        raise DatasetError(f"SentEvalDataset({self._path}) is read-only")

    def _exists(self) -> bool:
        return self._path.is_dir()

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path), "splits": self._splits}


class InputTextDataset(AbstractDataset[None, str]):
    """Read-only: a UTF-8 text file under the data root (the training corpus). A missing file
    is a :class:`MissingInputError` naming every input the root lacks.

    Args:
        filepath: the file.
        root: the data root it lies under (default: the file's parent's parent, as for
            ``<root>/unsup_corpus/train_all.txt``).
    """

    def __init__(
        self, filepath: str, root: str | None = None, metadata: dict[str, Any] | None = None
    ) -> None:
        self.metadata = metadata
        self._filepath = Path(filepath)
        self._root = Path(root) if root is not None else self._filepath.parent.parent

    def load(self) -> str:
        if not self._filepath.is_file():
            try:
                relative = self._filepath.relative_to(self._root).as_posix()
            except ValueError:  # not under the root: named as it is
                relative = str(self._filepath)
            raise MissingInputError.under(self._root, [relative])
        return self._filepath.read_text(encoding="utf-8")

    def save(self, data: None) -> None:
        raise DatasetError(f"InputTextDataset({self._filepath}) is read-only")

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}


class AtomicTextDataset(AbstractDataset[str, str]):
    """A UTF-8 text file that is replaced atomically on save (never seen half-written)."""

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        self.metadata = metadata
        self._filepath = Path(filepath)

    def load(self) -> str:
        return self._filepath.read_text(encoding="utf-8")

    def save(self, data: str) -> None:
        write_text_atomic(self._filepath, data)

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}


class OptionalTextDataset(AtomicTextDataset):
    """An :class:`AtomicTextDataset` that loads as the empty string while its file does not
    exist (an optional input, such as a round-trip file when round-trip translation is off)."""

    def load(self) -> str:
        return super().load() if self._filepath.is_file() else ""


class AtomicJSONDataset(AtomicTextDataset):
    """A JSON file that is replaced atomically on save."""

    def load(self) -> Any:  # type: ignore[override]
        return json.loads(super().load())

    def save(self, data: Any) -> None:  # type: ignore[override]
        write_json_atomic(self._filepath, data)


class AtomicCSVDataset(AbstractDataset[pd.DataFrame, pd.DataFrame]):
    """A table in one CSV file (no index column), replaced atomically on save."""

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        self.metadata = metadata
        self._filepath = Path(filepath)

    def load(self) -> pd.DataFrame:
        return pd.read_csv(self._filepath)

    def save(self, data: pd.DataFrame) -> None:
        with open_atomic(self._filepath) as handle:
            data.to_csv(handle, index=False)

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}


class NumpyArrayDataset(AbstractDataset[np.ndarray, np.ndarray]):
    """A NumPy array in one ``.npy`` file (``np.save`` format), replaced atomically on save."""

    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        self.metadata = metadata
        self._filepath = Path(filepath)

    def load(self) -> np.ndarray:
        return np.load(self._filepath, allow_pickle=False)

    def save(self, data: np.ndarray) -> None:
        with open_atomic(self._filepath, "wb") as handle:
            np.save(handle, np.asarray(data), allow_pickle=False)

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}


class ModelFolderDataset(AbstractDataset[str, str]):
    """A model folder: Hugging Face (``marker: config.json``, the default) or an ONNX export
    (``marker: onnx/model.onnx``).

    ``save(source_folder)`` copies a finished model folder here atomically; ``load()`` returns
    this folder's path (as a string, for ``from_pretrained``) after checking it is complete.
    """

    def __init__(
        self, path: str, marker: str = "config.json", metadata: dict[str, Any] | None = None
    ) -> None:
        self.metadata = metadata
        self._path = Path(path)
        self._marker = marker

    def load(self) -> str:
        return str(check_model_folder(self._path, self._marker))

    def save(self, data: str) -> None:
        copy_model_folder(data, self._path, self._marker)

    def _exists(self) -> bool:
        return (self._path / self._marker).is_file()

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path), "marker": self._marker}


class WorkDirectoryDataset(AbstractDataset[None, Path]):
    """Read-only: a working directory a node owns (resumable checkpoints, best snapshots).

    ``load()`` creates it if needed and returns its path.
    """

    def __init__(self, path: str, metadata: dict[str, Any] | None = None) -> None:
        self.metadata = metadata
        self._path = Path(path)

    def load(self) -> Path:
        self._path.mkdir(parents=True, exist_ok=True)
        return self._path

    def save(self, data: None) -> None:
        raise DatasetError(f"WorkDirectoryDataset({self._path}) is read-only")

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path)}


class DataFolderDataset(AbstractDataset[None, Path]):
    """Read-only: input folders under one root (the data root), loaded as the root's path.

    Args:
        path: the root.
        folders: the folders under it that the pipeline reads (what ``dvc.yaml`` watches);
            ``load()`` raises DatasetError naming every missing one and ``$JTCSE_DATA_ROOT``.
    """

    def __init__(
        self, path: str, folders: list[str], metadata: dict[str, Any] | None = None
    ) -> None:
        self.metadata = metadata
        self._path = Path(path)
        self._folders = list(folders)

    def load(self) -> Path:
        missing = [folder for folder in self._folders if not (self._path / folder).is_dir()]
        if missing:
            raise MissingInputError.under(self._path, missing)
        return self._path

    def save(self, data: None) -> None:
        raise DatasetError(f"DataFolderDataset({self._path}) is read-only")

    def _exists(self) -> bool:
        return all((self._path / folder).is_dir() for folder in self._folders)

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path), "folders": self._folders}


class FigureDataset(AbstractDataset["Figure", bytes]):
    """A matplotlib figure saved as one PNG file, replaced atomically on save.

    ``save(figure)`` renders it with Agg at ``dpi`` (tight bounding box); ``load()`` returns the
    PNG's bytes (for ``IPython.display.Image`` or an MLflow artefact).
    """

    def __init__(
        self, filepath: str, dpi: int = 150, metadata: dict[str, Any] | None = None
    ) -> None:
        self.metadata = metadata
        if dpi < 1:
            raise ValueError(f"dpi must be at least 1; got {dpi}")
        self._filepath = Path(filepath)
        self._dpi = dpi

    def load(self) -> bytes:
        return self._filepath.read_bytes()

    def save(self, data: Figure) -> None:
        with open_atomic(self._filepath, "wb") as handle:
            data.savefig(handle, format="png", dpi=self._dpi, bbox_inches="tight")

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "dpi": self._dpi}
