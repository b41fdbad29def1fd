"""One DVC stage per Kedro pipeline, read off the pipeline, the catalog and the parameters.

What a stage's catalog datasets become (a dataset's ``metadata: {dvc: ...}`` in the catalog
says it where the default does not fit):

- a dataset the pipeline reads and does not write: a dependency (``deps``);
- a file or folder it writes: an output, ``metrics`` for ``dvc: metrics``, ``plots`` for
  ``dvc: {plots: ...}``, else ``outs``; outputs under :data:`REPORTS` are small files DVC
  does not cache (``cache: false``);
- a working directory (:class:`~jtcse.datasets.WorkDirectoryDataset`: checkpoints, the
  embedding cache) or a dataset with ``dvc: untracked``: neither (DVC would delete an output
  before each run), unless ``dvc: outs`` says the pipeline writes its results there;
- a dataset with no file (parameters, memory): neither.

A path under the data root is written ``${data_root}/...``, DVC's variable read from
:data:`DATA_ROOT_FILE`, so moving the data root moves what the stages watch.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from jtcse.chain.imports import PACKAGE, PACKAGE_FOLDER, module_file, reachable_modules
from jtcse.determinism import RUNTIME_SECTION
from jtcse.paths import DATA_ROOT_FILE, DATA_ROOT_KEY

# Outputs under this folder are reports, kept out of DVC's cache.
REPORTS = "data/08_reporting/"
# What every `kedro run` executes besides the pipeline's nodes and datasets: the project's
# settings and hooks (they validate the parameters and may make the run deterministic).
RUN_MODULES = ("jtcse.settings",)
# Parameter sub-sections that change no result: a stage that reads a whole section leaves them
# out of its DVC parameters (the process count: tests/test_distributed.py).
RESULT_NEUTRAL = ("distributed",)
REPOSITORY = PACKAGE_FOLDER.parents[1]  # the source files' paths are relative to it: src/jtcse/...
DATA_ROOT_VARIABLE = "${" + DATA_ROOT_KEY + "}"
UNTRACKED_TYPES = ("jtcse.datasets.WorkDirectoryDataset",)
GLOBALS_FILE = DATA_ROOT_FILE  # globals.yml: the ${globals:...} keys, and the data root
_GLOBALS = re.compile(r"\$\{globals:([\w.]+)")


@dataclass
class Stage:
    """One DVC stage: ``kedro run --pipelines <name>`` with what it reads and writes."""

    name: str
    deps: list[str] = field(default_factory=list)
    params: dict[str, list[str]] = field(default_factory=dict)  # parameters file -> keys
    outs: list[str] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)  # outs that DVC does not cache
    metrics: list[str] = field(default_factory=list)
    plots: dict[str, dict[str, Any]] = field(default_factory=dict)  # path -> catalog options

    @property
    def written(self) -> list[str]:
        """Every path the stage writes."""
        return [*self.outs, *self.reports, *self.metrics, *self.plots]

    def add_output(self, path: str, tracking: Any) -> None:
        """Record ``path`` as the output kind that a dataset's ``dvc`` metadata says."""
        if isinstance(tracking, Mapping) and "plots" in tracking:
            self.plots[path] = dict(tracking["plots"])
        elif tracking == "metrics":
            self.metrics.append(path)
        else:
            (self.reports if path.startswith(REPORTS) else self.outs).append(path)


@dataclass
class Project:
    """What the stages are read from: the pipelines, the resolved catalog configuration and
    the raw parameter files (``${globals:...}`` left as written) of ``root``."""

    root: Path
    pipelines: Mapping[str, Any]
    catalog: Any  # kedro.io.catalog_config_resolver.CatalogConfigResolver
    parameter_files: dict[str, dict[str, Any]]  # path relative to root -> contents

    @classmethod
    def load(cls, root: Path) -> Project:
        """Bootstrap the Kedro project at ``root`` and read its ``base`` configuration."""
        from kedro.config import OmegaConfigLoader
        from kedro.framework.project import pipelines
        from kedro.framework.startup import bootstrap_project
        from kedro.io.catalog_config_resolver import CatalogConfigResolver

        from jtcse.settings import CONFIG_LOADER_ARGS

        bootstrap_project(root)
        resolvers = {**CONFIG_LOADER_ARGS["custom_resolvers"], "data_root": _data_root_variable}
        arguments = {**CONFIG_LOADER_ARGS, "custom_resolvers": resolvers, "default_run_env": "base"}
        loader = OmegaConfigLoader(str(root / "conf"), **arguments)
        files = sorted((root / "conf" / "base").glob("parameters*.yml"))
        return cls(
            root,
            dict(pipelines),
            CatalogConfigResolver(loader["catalog"]),
            {str(path.relative_to(root)): yaml.safe_load(path.read_text()) or {} for path in files},
        )

    def stage(self, name: str) -> Stage:
        """The stage of pipeline ``name``."""
        pipeline = self.pipelines[name]
        stage = Stage(name)
        written = pipeline.all_outputs()
        stage.deps = sorted(
            path
            for dataset in pipeline.inputs() - written
            if not _is_parameters(dataset)
            for path in self._input_paths(dataset)
        )
        filled = {dataset for dataset in pipeline.inputs() if _written_into(self._config(dataset))}
        for config in map(self._config, written | filled):
            if not _untracked(config):
                for path in _files(config):
                    stage.add_output(path, _declared(config))
        for paths in (stage.outs, stage.reports, stage.metrics):
            paths.sort()
        stage.plots = dict(sorted(stage.plots.items()))
        stage.deps += self._module_files(name, pipeline)
        stage.params = self._parameters(pipeline)
        return stage

    def _config(self, dataset: str) -> dict[str, Any]:
        return self.catalog.resolve_pattern(dataset) or {}

    def _input_paths(self, dataset: str) -> list[str]:
        """The files of an input ``dataset`` that DVC watches (none for a working directory)."""
        config = self._config(dataset)
        return [] if _untracked(config) or _written_into(config) else _files(config)

    def _module_files(self, name: str, pipeline: Any) -> list[str]:
        """The source files of every ``jtcse`` module the run of pipeline ``name`` may execute:
        its package (Kedro imports it to build the pipeline), its node functions' modules, its
        datasets' and the project's settings."""
        roots = {node.func.__module__ for node in pipeline.nodes} | set(RUN_MODULES)
        roots.add(f"{PACKAGE}.pipelines.{name}")
        roots |= {
            module
            for dataset in pipeline.datasets()
            for module in _dataset_modules(self._config(dataset))
        }
        files = (module_file(module) for module in reachable_modules(roots))
        return sorted(str(path.relative_to(REPOSITORY)) for path in files if path is not None)

    def _parameters(self, pipeline: Any) -> dict[str, list[str]]:
        """Parameters file -> the keys the pipeline reads; ``globals.yml`` -> the keys those
        interpolate; every run reads the runtime section (its hook)."""
        inputs = pipeline.inputs()
        keys = {RUNTIME_SECTION} | {
            name.removeprefix("params:") for name in inputs if name.startswith("params:")
        }
        if "parameters" in inputs:  # the whole tree
            keys |= {key for contents in self.parameter_files.values() for key in contents}
        read: dict[str, list[str]] = {}
        for key in sorted(keys):
            path, section = self._parameter_file(key)
            for sub_key in _split_whole_section(key, section):
                read.setdefault(path, []).append(sub_key)
            for interpolated in _GLOBALS.findall(yaml.safe_dump(_subtree(section, key))):
                read.setdefault(GLOBALS_FILE, []).append(interpolated)
        return {path: sorted(set(read[path])) for path in sorted(read)}

    def _parameter_file(self, key: str) -> tuple[str, dict[str, Any]]:
        top = key.split(".")[0]
        for path, contents in self.parameter_files.items():
            if top in contents:
                return path, contents
        raise ValueError(f"parameter {key!r}: no conf/base/parameters*.yml defines {top!r}")


def ordered(stages: Iterable[Stage]) -> list[Stage]:
    """The stages in dependency order (a stage after every stage whose outputs it reads);
    among stages ready at once, by name."""
    pending = {stage.name: stage for stage in stages}
    writer = {path: stage.name for stage in pending.values() for path in stage.written}
    needs = {
        name: {writer[dep] for dep in stage.deps if dep in writer} - {name}
        for name, stage in pending.items()
    }
    result: list[Stage] = []
    while pending:
        done = {stage.name for stage in result}
        ready = sorted(name for name in pending if needs[name] <= done)
        if not ready:
            raise ValueError(f"the pipelines {sorted(pending)} read each other's outputs")
        result.append(pending.pop(ready[0]))
    return result


def _data_root_variable() -> str:
    return DATA_ROOT_VARIABLE


def _untracked(config: Mapping[str, Any]) -> bool:
    """Whether DVC leaves the dataset alone: ``dvc: untracked``, or a working directory
    without ``dvc`` metadata."""
    declared = _declared(config)
    return declared == "untracked" or (declared is None and config.get("type") in UNTRACKED_TYPES)


def _written_into(config: Mapping[str, Any]) -> bool:
    """Whether a working directory holds results its nodes write (``dvc: outs``)."""
    return config.get("type") in UNTRACKED_TYPES and _declared(config) == "outs"


def _is_parameters(dataset: str) -> bool:
    return dataset == "parameters" or dataset.startswith("params:")


def _declared(config: Mapping[str, Any]) -> Any:
    return (config.get("metadata") or {}).get("dvc")


def _files(config: Mapping[str, Any]) -> list[str]:
    """The file or folder paths of a dataset configuration (a wrapper's inner dataset's;
    ``folders`` under a ``path``: those folders)."""
    if isinstance(config.get("dataset"), Mapping):
        return _files(config["dataset"])
    path = config.get("filepath") or config.get("path")
    if path is None:
        return []
    return [f"{path}/{folder}" for folder in config.get("folders", ())] or [str(path)]


def _dataset_modules(config: Mapping[str, Any]) -> list[str]:
    """The ``jtcse`` modules that define a dataset's type (and its inner dataset's)."""
    modules = []
    if isinstance(config.get("dataset"), Mapping):
        modules += _dataset_modules(config["dataset"])
    kind = str(config.get("type", ""))
    if kind.startswith(f"{PACKAGE}."):
        modules.append(kind.rpartition(".")[0])
    return modules


def _subtree(tree: Mapping[str, Any], key: str) -> Any:
    for part in key.split("."):
        tree = tree[part]
    return tree


def _split_whole_section(key: str, contents: Mapping[str, Any]) -> list[str]:
    """A whole top-level section is listed by its sub-keys, less :data:`RESULT_NEUTRAL`
    (only where there is one to leave out); any other key as it is."""
    section = _subtree(contents, key)
    if "." in key or not isinstance(section, Mapping):
        return [key]
    if not set(section) & set(RESULT_NEUTRAL):
        return [key]
    return [f"{key}.{sub_key}" for sub_key in section if sub_key not in RESULT_NEUTRAL]
