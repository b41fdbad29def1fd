"""The compile setting and rule (jtcse.modeling.compiling), and compiled encoding on a tiny real
BERT against the eager forward."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from jtcse.encoding import Encoder, load_pooled_model
from jtcse.modeling.compiling import (
    CACHE_VARIABLE,
    COMPILE_VARIABLE,
    ENCODE_BREAK_EVEN_SENTENCES,
    TRAIN_BREAK_EVEN_STEPS,
    compile_cache_folder,
    compile_setting,
    should_compile,
)

BREAK_EVEN_RESULTS = (
    Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "compile_break_even.json"
)
SENTENCES = [
    "an old man is reading a newspaper on a bench .",
    "the cat sits .",
    "a group of people are dancing on a stage in the park today .",
    "two dogs run .",
]


def test_the_argument_wins_over_the_variable(monkeypatch):
    monkeypatch.setenv(COMPILE_VARIABLE, "off")
    assert compile_setting() == "off"
    assert compile_setting("on") == "on"
    monkeypatch.delenv(COMPILE_VARIABLE)
    assert compile_setting() == "auto"


@pytest.mark.parametrize(
    ("value", "variable", "message"),
    [
        ("yes", None, r"compile must be one of auto, on, off; got 'yes'"),
        (None, "true", r"\$JTCSE_COMPILE must be one of auto, on, off; got 'true'"),
    ],
)
def test_a_bad_setting_names_where_it_came_from(monkeypatch, value, variable, message):
    monkeypatch.setenv(COMPILE_VARIABLE, variable or "auto")
    with pytest.raises(ValueError, match=message):
        compile_setting(value)


@pytest.mark.parametrize(
    ("setting", "work", "expected"),
    [("auto", 99, False), ("auto", 100, True), ("on", 1, True), ("off", 10**9, False)],
)
def test_auto_compiles_from_the_break_even(setting, work, expected):
    assert should_compile(setting, work, break_even=100) is expected


def test_auto_never_compiles_where_it_does_not_pay():
    assert not should_compile("auto", 10**9, break_even=None)
    assert should_compile("on", 1, break_even=None)


def test_the_cache_folder_is_the_variable_or_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_VARIABLE, str(tmp_path / "inductor"))
    assert compile_cache_folder() == tmp_path / "inductor"
    monkeypatch.delenv(CACHE_VARIABLE)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert compile_cache_folder() == tmp_path / "jtcse" / "torch_compile"


def test_compiled_encoding_gives_the_eager_vectors(tiny_bert_path, monkeypatch, tmp_path):
    monkeypatch.setenv(CACHE_VARIABLE, str(tmp_path))
    eager = load_pooled_model(tiny_bert_path, ["cls", "mean"], compile="off")
    compiled = load_pooled_model(tiny_bert_path, ["cls", "mean"], compile="on")
    expected = eager.embed_outputs(SENTENCES, batch_size=2)
    vectors = compiled.embed_outputs(SENTENCES, batch_size=2)
    assert eager.compiled is None and compiled.compiled is not None
    for got, want in zip(vectors, expected, strict=True):
        np.testing.assert_allclose(got, want, atol=1e-4, rtol=1e-4)
    assert any(tmp_path.iterdir())  # inductor wrote its cache where it was told


def test_auto_leaves_a_short_job_eager(tiny_bert_path):
    encoder = load_pooled_model(tiny_bert_path, "cls", compile="auto")
    encoder.encode(SENTENCES)
    assert encoder.compiled is None


def test_the_thresholds_follow_the_committed_break_evens():
    """``auto``'s thresholds are the cold-cache break-evens of the committed benchmark, rounded
    up by at most half: none where compiling was measured not to pay."""
    jobs = json.loads(BREAK_EVEN_RESULTS.read_text(encoding="utf-8"))["jobs"]
    encode = jobs.pop("encode")["break_even_items"]["cold"]
    training = [job["break_even_items"]["cold"] for job in jobs.values()]
    for threshold, measured in (
        (ENCODE_BREAK_EVEN_SENTENCES, [encode]),
        (TRAIN_BREAK_EVEN_STEPS, training),
    ):
        paying = [value for value in measured if value is not None]
        if not paying:
            assert threshold is None
        else:
            assert max(paying) <= threshold <= 1.5 * max(paying)


def test_a_file_is_one_job_of_all_its_rows(tiny_bert_path, tmp_path):
    """``encode_to_file`` sizes the job by the rows announced, not by each chunk."""
    encoder = Encoder.load(tiny_bert_path)
    sizes: list[int] = []
    encoder.members[0].prepare = sizes.append
    encoder.encode_to_file(iter(SENTENCES * 3), 12, tmp_path / "vectors.npy")
    assert sizes[0] == 12
