"""The device choice that every model load, training stage and worker process follows."""

import pytest
import torch

from jtcse.modeling.loading import DEVICE_VARIABLE, default_device, uses_cuda


def test_the_device_variable_overrides_the_detected_device(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(DEVICE_VARIABLE, raising=False)
    detected = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    assert default_device() == detected
    monkeypatch.setenv(DEVICE_VARIABLE, "cpu")
    assert default_device() == torch.device("cpu") and not uses_cuda()
    monkeypatch.setenv(DEVICE_VARIABLE, "cuda:1")
    assert default_device() == torch.device("cuda", 1) and uses_cuda()
