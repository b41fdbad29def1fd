"""A temporary copy of the Kedro project on ``conf/test``: tiny model, tiny data."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from tests.fixtures.senteval import write_senteval_fixture
from tests.fixtures.tiny_bert import TINY_CORPUS, build_tiny_bert
from tests.fixtures.transfer import write_transfer_fixture

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def test_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project copy whose data root holds a SentEval fixture and a small corpus, and whose
    ``data/01_raw/tiny_bert`` is the tiny base model that ``conf/test`` names."""
    project = tmp_path / "project"
    project.mkdir()
    shutil.copytree(PROJECT_ROOT / "conf", project / "conf", ignore=_ignore_local)
    shutil.copy(PROJECT_ROOT / "pyproject.toml", project / "pyproject.toml")
    shutil.copytree(PROJECT_ROOT / "src", project / "src", ignore=shutil.ignore_patterns("*.pyc"))
    data_root = tmp_path / "data_root"
    write_senteval_fixture(data_root / "senteval")
    write_transfer_fixture(data_root / "senteval", per_class=10)  # 10 folds need 10 a class
    corpus = [f"{sentence} number {index}" for index in range(6) for sentence in TINY_CORPUS]
    corpus += ["", "too", TINY_CORPUS[0] + " number 0"]  # empty, too short, duplicate
    (data_root / "unsup_corpus").mkdir()
    (data_root / "unsup_corpus" / "train_all.txt").write_text("\n".join(corpus) + "\n")
    for folder in ("mteb_style", "sts_original"):  # zero_shot_data's other folders (unused here)
        (data_root / folder).mkdir()
    build_tiny_bert(project / "data" / "01_raw" / "tiny_bert", seed=0)
    monkeypatch.setenv("JTCSE_DATA_ROOT", str(data_root))
    # An absolute URI per project: MLflow caches its store per URI string, so the relative
    # default would keep writing to the first test project's database.
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{project / 'mlflow.db'}")
    monkeypatch.chdir(project)
    return project


@pytest.fixture
def run_pipelines(test_project: Path) -> Callable[[list[str]], None]:
    """Run named pipelines of the test project on ``conf/test``."""

    def run(names: list[str]) -> None:
        bootstrap_project(test_project)
        with KedroSession.create(project_path=test_project, env="test") as session:
            session.run(pipeline_names=names)

    return run


@pytest.fixture
def start_kedro_run(test_project: Path) -> Callable[..., subprocess.Popen]:
    """Start ``kedro run --env test ARGUMENTS`` in the test project as its own process, its
    stdout and stderr one text stream (read it through ``communicate``)."""

    def start(*arguments: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "kedro", "run", "--env", "test", *arguments],
            cwd=test_project,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    return start


def _ignore_local(folder: str, names: list[str]) -> list[str]:
    return [name for name in names if Path(folder).name == "local" and name != ".gitkeep"]
