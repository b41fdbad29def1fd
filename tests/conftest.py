"""Shared fixtures: tiny real BERT models built locally (no network)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import torch

from jtcse.data.senteval import read_sts_tasks
from jtcse.modeling.device import DEVICE_VARIABLE
from tests.fixtures.senteval import write_senteval_fixture
from tests.fixtures.tiny_bert import build_distinct_bert, build_tiny_bert

os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Tiny models run fastest on one thread, and the suite must not fight over the 2 cores.
torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_bert_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer, 32-wide BERT with a locally trained WordPiece tokenizer."""
    return build_tiny_bert(tmp_path_factory.mktemp("tiny_bert"), seed=0)


@pytest.fixture(scope="session")
def tiny_bert_path_b(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second tiny BERT with the same tokenizer but other weights (a second tower)."""
    return build_tiny_bert(tmp_path_factory.mktemp("tiny_bert_b"), seed=1)


@pytest.fixture(scope="session")
def distinct_bert_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny BERT after a few steps that push its [CLS] rows apart: every sentence has its
    own row (a random tiny BERT gives nearly one row for all), for per-row comparisons."""
    return build_distinct_bert(tmp_path_factory.mktemp("distinct_bert"))


@pytest.fixture(scope="session")
def tiny_bert4_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 4-layer tiny BERT, for layer-spacing tests of the cross-attention."""
    return build_tiny_bert(tmp_path_factory.mktemp("tiny_bert4"), seed=2, num_hidden_layers=4)


@pytest.fixture(scope="module")
def cpu_device() -> Iterator[None]:
    """Run this module's models and worker processes on the CPU (gloo), GPU or not."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(DEVICE_VARIABLE, "cpu")
        yield


@pytest.fixture(scope="session")
def sts_dev(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """The STS-B dev pairs of a tiny SentEval fixture (what model selection reads)."""
    root = write_senteval_fixture(tmp_path_factory.mktemp("senteval"), pairs_per_split=8)
    return read_sts_tasks(root, tasks=["STSBenchmark"], splits=["dev"])
