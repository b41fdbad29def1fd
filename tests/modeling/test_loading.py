"""Model loading: the device every load, stage and worker follows, and what a damaged or
untrusted folder gets."""

import shutil

import pytest
import torch

from jtcse.console import main
from jtcse.modeling.device import DEVICE_VARIABLE, default_device, uses_cuda
from jtcse.modeling.loading import PICKLE_VARIABLE, load_model_and_tokenizer, load_pretrained_model


def test_the_device_variable_overrides_the_detected_device(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(DEVICE_VARIABLE, raising=False)
    detected = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    assert default_device() == detected
    monkeypatch.setenv(DEVICE_VARIABLE, "cpu")
    assert default_device() == torch.device("cpu") and not uses_cuda()
    monkeypatch.setenv(DEVICE_VARIABLE, "cuda:1")
    assert default_device() == torch.device("cuda", 1) and uses_cuda()


def _copy_without_weights(source, target):
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.safetensors"))
    return target


def test_a_truncated_weights_file_is_one_clear_error(tiny_bert_path, tmp_path, capsys):
    folder = tmp_path / "damaged"
    shutil.copytree(tiny_bert_path, folder)
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(ValueError, match=f"{folder}: damaged weights file model.safetensors"):
        load_model_and_tokenizer(folder)
    assert main(["similarity", "--model", str(folder), "a", "b"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and f"{folder}: damaged weights file" in error


def test_pickled_weights_are_refused_unless_allowed(tiny_bert_path, tmp_path, monkeypatch):
    model, _ = load_model_and_tokenizer(tiny_bert_path)
    folder = _copy_without_weights(tiny_bert_path, tmp_path / "pickled")
    torch.save(model.state_dict(), folder / "pytorch_model.bin")
    monkeypatch.delenv(PICKLE_VARIABLE, raising=False)
    with pytest.raises(ValueError, match=r"only pickled weights \(pytorch_model.bin\)"):
        load_pretrained_model(folder)
    monkeypatch.setenv(PICKLE_VARIABLE, "1")
    loaded = load_pretrained_model(folder)
    for name, tensor in model.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[name], tensor, rtol=0, atol=0)
