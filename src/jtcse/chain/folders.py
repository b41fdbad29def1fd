"""The model folders the default chain writes, declared once.

Each folder is a catalog dataset of the same name (``data/06_models/<name>``, a test keeps
``conf/base/catalog.yml`` equal to this list), written by one pipeline (``stage``) for one
``run`` of it (a tower, a joint run, the student, an export variant), and scored by one
``family`` node of the ``evaluation`` and ``zero_shot`` pipelines, so that a change to one
family's folders re-encodes only that family's rows. The pipelines, the evaluation families
and the model cards read it from here.
"""

from __future__ import annotations

from dataclasses import dataclass

TOWERS = ("tower_1", "tower_2")  # the two towers of every run, as folder-name suffixes
JOINT_RUNS = ("tncse", "jtcse")  # the joint runs: without, then with cross-attention
BASE_FAMILY = "base"  # the family node that scores the encoders naming no chain folder


@dataclass(frozen=True)
class ModelFolder:
    """One model folder of the chain."""

    name: str
    stage: str
    run: str
    family: str


MODEL_FOLDERS: tuple[ModelFolder, ...] = (
    *(ModelFolder(tower, "tower_training", tower, "towers") for tower in TOWERS),
    *(
        ModelFolder(f"{run}_{tower}", "jtcse_training", run, "joint")
        for run in JOINT_RUNS
        for tower in TOWERS
    ),
    ModelFolder("student", "distillation", "student", "student"),
    ModelFolder("student_uc", "uc_distillation", "student_uc", "uc_student"),
    ModelFolder("student_onnx", "onnx_export", "fp32", "student"),
    ModelFolder("student_onnx_int8", "onnx_export", "int8", "student"),
)
FOLDER_NAMES = tuple(folder.name for folder in MODEL_FOLDERS)
# model folders a study writes (outside the chain: no evaluation family), study pipeline -> them
STUDY_FOLDERS = {"mlm_pretraining": ("mlm_base",)}


def families() -> dict[str, tuple[str, ...]]:
    """Family -> its folder names, the folder-less :data:`BASE_FAMILY` first."""
    grouped: dict[str, tuple[str, ...]] = {BASE_FAMILY: ()}
    for folder in MODEL_FOLDERS:
        grouped[folder.family] = (*grouped.get(folder.family, ()), folder.name)
    return grouped


def joint_folders(run: str) -> tuple[str, ...]:
    """The two tower folders of a joint run (``jtcse`` -> ``jtcse_tower_1``, ...)."""
    return tuple(f"{run}_{tower}" for tower in TOWERS)


def training_runs(*stages: str) -> tuple[str, ...]:
    """The runs of ``stages``, in folder order, each once (``tower_1``, ..., ``jtcse``)."""
    return tuple(dict.fromkeys(f.run for f in MODEL_FOLDERS if f.stage in stages))
