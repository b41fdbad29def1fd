"""The package's public face: ``import jtcse`` and the Kedro start-up modules import no torch,
and every public name resolves to the object of its module."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

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
        # what every run's parameter check reads (so no stage depends on torch code through it)
        "from jtcse.parameter_schema import parameter_schema; parameter_schema()",
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


def _module_level_imports() -> dict[str, set[str]]:
    """Each module of ``src/jtcse`` -> the project modules it imports at module level (imports
    inside functions and under ``if TYPE_CHECKING:`` run later, or never, and cannot cycle)."""
    source = Path(jtcse.__file__).parent.parent
    files = {
        ".".join(path.relative_to(source).with_suffix("").parts).removesuffix(".__init__"): path
        for path in source.joinpath("jtcse").rglob("*.py")
    }
    graph = {}
    for name, path in files.items():
        imported = set()
        for statement in ast.parse(path.read_text()).body:
            if isinstance(statement, ast.ImportFrom) and statement.module:
                for alias in statement.names:
                    full = f"{statement.module}.{alias.name}"
                    imported.add(full if full in files else statement.module)
            elif isinstance(statement, ast.Import):
                imported.update(alias.name for alias in statement.names)
        graph[name] = {module for module in imported if module in files and module != name}
    return graph


def test_no_import_cycle_between_modules() -> None:
    graph = _module_level_imports()
    assert "jtcse.training.loop" in graph["jtcse.training.run"]  # the graph sees imports

    def reaches(start: str, target: str, seen: set[str]) -> bool:
        return any(
            module == target or (module not in seen and reaches(module, target, seen | {module}))
            for module in graph[start]
        )

    assert [module for module in graph if reaches(module, module, {module})] == []
