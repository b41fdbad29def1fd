"""The chain's model folders: one declaration that the catalog, the pipelines, the evaluation
families and the cards agree with."""

from __future__ import annotations

import importlib
from pathlib import Path

import yaml

from jtcse.chain.folders import (
    FOLDER_NAMES,
    MODEL_FOLDERS,
    STUDY_FOLDERS,
    families,
    joint_folders,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MODEL_FOLDER_TYPE = "jtcse.datasets.ModelFolderDataset"


def test_the_catalog_declares_exactly_the_chain_folders() -> None:
    catalog = yaml.safe_load((PROJECT_ROOT / "conf/base/catalog.yml").read_text())
    declared = {
        name: entry["path"]
        for name, entry in catalog.items()
        if isinstance(entry, dict) and entry.get("type") == MODEL_FOLDER_TYPE
    }
    studies = [name for names in STUDY_FOLDERS.values() for name in names]
    assert declared == {name: f"data/06_models/{name}" for name in (*FOLDER_NAMES, *studies)}


def test_each_folder_is_written_by_its_stage() -> None:
    for folder in MODEL_FOLDERS:
        stage = importlib.import_module(f"jtcse.pipelines.{folder.stage}").create_pipeline()
        assert folder.name in stage.all_outputs(), folder
    for study, names in STUDY_FOLDERS.items():
        outputs = importlib.import_module(f"jtcse.pipelines.{study}").create_pipeline().outputs()
        assert set(names) <= outputs, study


def test_families_partition_the_folders() -> None:
    grouped = families()
    assert grouped["base"] == ()
    assert sorted(name for names in grouped.values() for name in names) == sorted(FOLDER_NAMES)
    assert grouped["joint"] == (*joint_folders("tncse"), *joint_folders("jtcse"))
