"""``jtcse data``: fill the data root's inputs from the Hugging Face Hub, as far as the Hub has
them, and the one error that says what is missing where it does not.

The data root (:func:`jtcse.paths.data_root`: ``$JTCSE_DATA_ROOT``, else ``data_root`` of
``conf/base/globals.yml``) holds the chain's inputs, :data:`INPUTS`. What the Hub holds in
this layout is :data:`SOURCES` (``jtcse data --sources`` prints the table):

- ``senteval/STS``, ``senteval/SICK``, ``senteval/MR`` .. ``senteval/MRPC``: the dataset
  repository ``princeton-nlp/datasets-for-simcse``, file ``senteval.tar`` (SentEval's
  ``data/downstream``), the folders the root lacks extracted;
- ``unsup_corpus/train_all.txt``: the same repository, file ``wiki1m_for_simcse.txt``, copied.

``senteval.tar`` is the SentEval data that SimCSE evaluates on (its
``SentEval/data/downstream/download_dataset.sh``); its SICK files are Moses-tokenised where
the shared copy keeps the originals. ``wiki1m_for_simcse.txt`` is SimCSE's one million
Wikipedia sentences; ``data_preparation`` removes every STS and SICK sentence from it as from
any corpus. The local copies of the zero-shot tasks, ``mteb_style/`` and ``sts_original/``,
are not on the Hub in this layout (:data:`NOT_ON_HUB`): only the ``zero_shot`` stage reads
them, and ``jtcse data`` names them when they are missing.

Nothing present is replaced: a source is fetched only for the paths the root lacks, each
written aside and moved into place (a reader never sees half a folder). Offline
(``HF_HUB_OFFLINE=1``), or where the Hub cannot be reached and the file is not in the local
Hub cache, :class:`DataRootError` says in one line which paths are missing, that
``$JTCSE_DATA_ROOT`` chooses the root, and the command that fetches them.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Protocol

from jtcse.atomic import open_atomic
from jtcse.paths import DATA_ROOT_FILE, DATA_ROOT_KEY, DATA_ROOT_VARIABLE

FETCH_COMMAND = "jtcse data"
SIMCSE_DATASETS = "princeton-nlp/datasets-for-simcse"
SENTEVAL_FOLDERS = ("STS", "SICK", "MR", "CR", "SUBJ", "MPQA", "SST", "TREC", "MRPC")


class DataRootError(OSError):
    """The data root lacks inputs and they cannot be fetched here (one line, naming them)."""


class HubFiles(Protocol):
    """What is needed of ``huggingface_hub.HfApi``: one file of a repository, as a local path
    (from the local Hub cache where it is there)."""

    def hf_hub_download(self, repo_id: str, filename: str, *, repo_type: str | None = None) -> str:
        """The downloaded (or cached) file's local path."""
        ...


@dataclass(frozen=True)
class Source:
    """One file of a Hub repository and the data-root paths it fills (``provides``, relative
    to the root), installed by ``install(file, root, missing)`` for the ``missing`` ones."""

    repo_id: str
    repo_type: str
    filename: str
    conversion: str
    provides: tuple[str, ...]
    install: Callable[[Path, Path, Sequence[str]], list[str]]


def _install_senteval(archive: Path, root: Path, missing: Sequence[str]) -> list[str]:
    """Extract SentEval's ``downstream`` folders named in ``missing`` (``senteval/<folder>``)
    from ``archive`` into ``root/senteval``: each folder extracted aside (under the root, so
    on its file system) and moved into place. Returns the paths written; a folder the archive
    lacks is left missing."""
    names = [PurePosixPath(path).name for path in missing]
    wanted = set(names)
    target = root / "senteval"
    target.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".jtcse-data-", dir=root))
    try:
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers() if m.isfile() or m.isdir()]
            prefix = _archive_prefix([m.name for m in members])
            chosen = []
            for member in members:
                parts = PurePosixPath(member.name).parts[prefix:]
                if parts and parts[0] in wanted:
                    chosen.append(member.replace(name="/".join(parts), deep=False))
            tar.extractall(work, members=chosen, filter="data")
        written = []
        for folder in names:
            if (work / folder).is_dir() and not (target / folder).exists():
                os.replace(work / folder, target / folder)
                written.append(f"senteval/{folder}")
        return written
    except (tarfile.TarError, OSError) as error:
        raise DataRootError(f"{archive}: cannot extract SentEval's folders ({error})") from error
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _archive_prefix(names: Sequence[str]) -> int:
    """How many leading folders the archive's members share before SentEval's own folders
    (``./``, or one top folder such as ``downstream/``)."""
    parts = [PurePosixPath(name).parts for name in names if PurePosixPath(name).parts]
    tops = {p[0] for p in parts}
    if len(tops) == 1 and not tops & set(SENTEVAL_FOLDERS):
        return 1
    return 0


def _install_copy(file: Path, root: Path, missing: Sequence[str]) -> list[str]:
    """Copy ``file`` to each of ``missing`` under ``root`` (atomically)."""
    for path in missing:
        with open(file, "rb") as source, open_atomic(root / path, "wb") as target:
            shutil.copyfileobj(source, target)
    return list(missing)


SOURCES = (
    Source(
        SIMCSE_DATASETS,
        "dataset",
        "senteval.tar",
        "SentEval's data/downstream (as SimCSE evaluates on it): the folders the root lacks, "
        "extracted",
        tuple(f"senteval/{folder}" for folder in SENTEVAL_FOLDERS),
        _install_senteval,
    ),
    Source(
        SIMCSE_DATASETS,
        "dataset",
        "wiki1m_for_simcse.txt",
        "SimCSE's 1M Wikipedia sentences, copied (data_preparation decontaminates it)",
        ("unsup_corpus/train_all.txt",),
        _install_copy,
    ),
)
# Inputs the Hub does not hold in the data root's layout: path -> what it is
NOT_ON_HUB = {
    "mteb_style": "local copies of MTEB tasks from their original releases (the zero_shot stage)",
    "sts_original": "the untokenised official STS releases (the zero_shot stage)",
}
INPUTS = (*(path for source in SOURCES for path in source.provides), *NOT_ON_HUB)


def missing_inputs(root: Path) -> list[str]:
    """The inputs of :data:`INPUTS` that ``root`` lacks, in that order."""
    return [path for path in INPUTS if not (root / path).exists()]


def missing_data_message(root: Path, missing: Sequence[str], unreachable: str = "") -> str:
    """One line: the data root, what it lacks, how to choose another root and how to fetch
    what the Hub has (``unreachable``: why the Hub could not be used just now)."""
    fetchable = _shortened(root, [path for path in missing if path not in NOT_ON_HUB])
    elsewhere = [path for path in missing if path in NOT_ON_HUB]
    parts = [
        f"the data root {root} lacks {', '.join(_shortened(root, missing))} "
        f"(${DATA_ROOT_VARIABLE}, else {DATA_ROOT_KEY} in {DATA_ROOT_FILE}, chooses the root)"
    ]
    if fetchable and unreachable:
        parts.append(
            f"the Hugging Face Hub cannot be reached ({unreachable}): run `{FETCH_COMMAND}` "
            f"where it can to fetch {', '.join(fetchable)}, or set ${DATA_ROOT_VARIABLE} to a "
            "data root that holds them"
        )
    elif fetchable:
        parts.append(f"`{FETCH_COMMAND}` fetches {', '.join(fetchable)} from the Hugging Face Hub")
    if elsewhere:
        parts.append(
            f"{', '.join(elsewhere)} are not on the Hub: copy them from a data root that has them"
        )
    return "; ".join(parts)


def _shortened(root: Path, paths: Sequence[str]) -> list[str]:
    """``paths`` with the inputs of a folder the root lacks altogether named once by that
    folder (``senteval/`` for ``senteval/STS`` .. ``senteval/MRPC``)."""
    result: list[str] = []
    for path in paths:
        top = PurePosixPath(path).parts[0]
        siblings = [p for p in INPUTS if p.startswith(f"{top}/")]
        name = f"{top}/" if len(siblings) > 1 and not (root / top).exists() else path
        if name not in result:
            result.append(name)
    return result


@dataclass
class FetchReport:
    """What :func:`fetch_inputs` did: the paths ``fetched``, those ``present`` before, and
    those still ``missing`` afterwards (not on the Hub, or not in the file fetched)."""

    fetched: list[str]
    present: list[str]
    missing: list[str]


def fetch_inputs(root: Path, api: HubFiles | None = None) -> FetchReport:
    """Fetch every input of :data:`SOURCES` that ``root`` lacks into its place (see the
    module); ``api`` defaults to ``huggingface_hub.HfApi()``. Where the Hub cannot be reached
    (offline, no network, the repository or file gone) and a needed file is not in the local
    Hub cache, :class:`DataRootError` names the root, everything it lacks and the command."""
    root = Path(root)
    before = missing_inputs(root)
    needed = [(source, [path for path in source.provides if path in before]) for source in SOURCES]
    needed = [(source, paths) for source, paths in needed if paths]
    downloads: list[tuple[Source, list[str], Path]] = []
    if needed:
        if api is None:
            from huggingface_hub import HfApi

            api = HfApi()
        for source, paths in needed:  # every download first: nothing is written half-way
            downloads.append((source, paths, _download(api, source, root, before)))
    fetched = []
    for source, paths, file in downloads:
        root.mkdir(parents=True, exist_ok=True)
        fetched += source.install(file, root, paths)
    return FetchReport(
        fetched=fetched,
        present=[path for path in INPUTS if path not in before],
        missing=missing_inputs(root),
    )


def _download(api: HubFiles, source: Source, root: Path, missing: Sequence[str]) -> Path:
    from huggingface_hub.errors import EntryNotFoundError

    try:
        return Path(
            api.hf_hub_download(source.repo_id, source.filename, repo_type=source.repo_type)
        )
    except (OSError, EntryNotFoundError) as error:  # offline, no network, HTTP errors
        cause = " ".join(str(error).split())[:200]
        offline = "HF_HUB_OFFLINE is set, " if os.environ.get("HF_HUB_OFFLINE") else ""
        unreachable = (
            f"{offline}{source.repo_id}/{source.filename}: {type(error).__name__}: {cause}"
        )
        raise DataRootError(missing_data_message(root, missing, unreachable)) from error


def describe_sources() -> list[tuple[str, str, str, str]]:
    """The table of :data:`SOURCES` and :data:`NOT_ON_HUB`: (path in the data root, Hub
    repository, repository type, file and conversion)."""
    rows = [
        (
            ", ".join(source.provides),
            source.repo_id,
            source.repo_type,
            f"{source.filename}: {source.conversion}",
        )
        for source in SOURCES
    ]
    rows += [(path, "-", "-", f"not on the Hub: {what}") for path, what in NOT_ON_HUB.items()]
    return rows


def data_command(root: Path, check: bool = False, api: HubFiles | None = None) -> int:
    """``jtcse data``: print the sources, fetch what the root lacks (``check``: fetch nothing
    and fail, in one line, when something is missing), print what was done."""
    root = Path(root).absolute()
    if check:
        missing = missing_inputs(root)
        for path in INPUTS:
            print(f"{'missing' if path in missing else 'present':<8} {root / path}")
        if missing:
            raise DataRootError(missing_data_message(root, missing))
        return 0
    report = fetch_inputs(root, api)
    for path in report.fetched:
        print(f"fetched  {root / path}")
    for path in report.present:
        print(f"present  {root / path}")
    if report.missing:
        print(f"note: {missing_data_message(root, report.missing)}")
    return 0
