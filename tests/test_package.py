"""The package's public face: ``import jtcse`` and the Kedro start-up modules import no torch,
and every public name resolves to the object of its module."""

from __future__ import annotations

import subprocess
import sys

import pytest

import jtcse


def _imports_torch(statement: str) -> bool:
    probe = f"import sys; {statement}; print('torch' in sys.modules)"
    output = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return output.strip().splitlines()[-1] == "True"


@pytest.mark.parametrize(
    "statement",
    [
        "import jtcse",
        "import jtcse.settings",  # Kedro's settings, the hooks and the parameter checks
        "from jtcse.parameters import validate_parameters",
        "from jtcse.training import TowerSettings, TrainingConfig",
        "import jtcse.datasets",  # the catalog's datasets
        "from kedro.framework.project import configure_project; configure_project('jtcse'); "
        "from jtcse.pipeline_registry import register_pipelines; register_pipelines()",
    ],
)
def test_start_up_modules_import_no_torch(statement: str) -> None:
    assert not _imports_torch(statement)


def test_a_public_name_imports_its_module() -> None:
    assert _imports_torch("import jtcse; jtcse.Encoder")


@pytest.mark.parametrize("name", jtcse.__all__)
def test_every_public_name_resolves(name: str) -> None:
    obj = getattr(jtcse, name)
    assert obj.__name__ == name


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Encodr'"):
        _ = jtcse.Encodr
