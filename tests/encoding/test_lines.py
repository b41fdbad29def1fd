"""Large inputs: chunked encoding, the streamed ``.npy`` output and line reading."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from jtcse.console import main
from jtcse.encoding import Encoder
from jtcse.encoding import base as encoding_base
from jtcse.encoding.lines import check_no_blank_lines, count_lines, read_lines
from tests.encoding.test_pytorch import SENTENCES


@pytest.fixture(scope="module")
def encoder(tiny_bert_path: Path) -> Encoder:
    return Encoder.load(tiny_bert_path)


def test_chunks_and_the_streamed_file_equal_one_pass(encoder, tmp_path, monkeypatch):
    sentences = SENTENCES * 3  # 21 rows: chunks of 4 cut runs of equal length
    whole = encoder.encode(sentences, batch_size=2)
    monkeypatch.setattr(encoding_base, "CHUNK_SENTENCES", 4)
    np.testing.assert_allclose(encoder.encode(sentences, batch_size=2), whole, atol=1e-6)
    output = encoder.encode_to_file(iter(sentences), len(sentences), tmp_path / "out.npy", 2)
    streamed = np.load(output)
    assert streamed.dtype == np.float32 and streamed.shape == whole.shape
    np.testing.assert_allclose(streamed, whole, atol=1e-6)


@pytest.mark.parametrize("rows", [6, 8])
def test_a_wrong_row_count_leaves_no_file(encoder, tmp_path, rows):
    output = tmp_path / "out.npy"
    with pytest.raises(ValueError, match="announced"):
        encoder.encode_to_file(iter(SENTENCES), rows, output)
    assert list(tmp_path.iterdir()) == []


def test_lines_keep_blank_lines_and_read_crlf_and_a_last_line_without_newline(tmp_path):
    text = "first\r\n\r\n  \nfourth has a lone \r inside\nlast"
    path = tmp_path / "lines.txt"
    path.write_bytes(text.encode())
    lines = list(read_lines(path))
    assert lines == ["first", "", "  ", "fourth has a lone \r inside", "last"]
    assert count_lines(path) == len(lines)
    path.write_bytes(b"one\ntwo\n")
    assert list(read_lines(path)) == ["one", "two"] and count_lines(path) == 2
    path.write_bytes(b"")
    assert list(read_lines(path)) == [] and count_lines(path) == 0


def test_encode_names_the_file_and_line_of_an_invalid_byte(tiny_bert_path, tmp_path, capsys):
    path = tmp_path / "sentences.txt"
    lines = [f"sentence number {number} ." for number in range(1, 5001)]
    path.write_bytes("".join(f"{line}\n" for line in lines).encode() + b"line \xff 5001 .\n")
    output = tmp_path / "out.npy"
    argv = ["encode", "--model", str(tiny_bert_path), "--input", str(path), "--output", str(output)]
    assert main(argv) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"jtcse: error: {path}:5001: not UTF-8: byte 6 of the line is 0xff (invalid start byte)"
    )
    assert list(tmp_path.iterdir()) == [path]  # no output, not even a partial one


def test_a_stream_is_read_like_a_file():
    stream = io.BytesIO(b"un\r\ndeux\n\ntrois\r")
    assert list(read_lines(stream)) == ["un", "deux", "", "trois"]


@pytest.mark.parametrize(
    ("name", "stream_name", "shown"),
    [("corpus.txt", "<stdin>", "corpus.txt"), (None, "<stdin>", "<stdin>"), (None, None, "input")],
)
def test_an_invalid_byte_names_the_source_the_line_and_the_byte(name, stream_name, shown):
    stream = io.BytesIO(b"ok\nstill ok\nab\xe9cd\n")
    if stream_name is not None:
        stream.name = stream_name
    with pytest.raises(ValueError) as error:
        list(read_lines(stream, name))
    assert str(error.value) == (
        f"{shown}:3: not UTF-8: byte 3 of the line is 0xe9 (invalid continuation byte)"
    )


def test_a_path_given_as_text_is_named_by_its_path(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"\xff\n")
    with pytest.raises(ValueError) as error:
        list(read_lines(str(path)))
    assert (
        str(error.value) == f"{path}:1: not UTF-8: byte 1 of the line is 0xff (invalid start byte)"
    )
    with pytest.raises(ValueError, match=r"^shown\.txt:1: "):
        list(read_lines(path, "shown.txt"))


@pytest.mark.parametrize(
    ("content", "lines"),
    [(b"", 0), (b"\n", 1), (b"a", 1), (b"a\n", 1), (b"a\nb", 2), (b"a\n\n", 2), (b"\r\n\r\n", 2)],
)
def test_count_lines_counts_what_read_lines_yields(tmp_path, content, lines):
    path = tmp_path / "lines.txt"
    path.write_bytes(content)
    assert count_lines(str(path)) == lines == len(list(read_lines(path)))


def test_check_no_blank_lines_passes_lines_on_and_names_the_first_blank_one():
    assert list(check_no_blank_lines(iter(["a", " b "]), "in.txt")) == ["a", " b "]
    checked = check_no_blank_lines(iter(["a", "b", " \t", ""]), "in.txt")
    assert next(checked) == "a" and next(checked) == "b"
    with pytest.raises(ValueError) as error:
        next(checked)
    assert str(error.value) == "in.txt:3: blank line (--no-blank-lines)"
    with pytest.raises(ValueError, match=r"^x:1: blank line"):
        list(check_no_blank_lines([""], "x"))


def test_count_lines_adds_up_the_newlines_of_every_block(tmp_path):
    path = tmp_path / "long.txt"
    path.write_bytes(b"0123456\n" * 300_000 + b"last")  # 2.4 MB: three 1 MiB blocks
    assert count_lines(path) == 300_001
