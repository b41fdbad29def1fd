"""The machine a result file's numbers were measured on: recorded by the file itself, or by a
``machine.json`` beside it (``--record-machine FOLDER`` writes this machine's), told in words.
"""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jtcse.atomic import write_json_atomic
from jtcse.reporting.results_pages.reading import ResultFile, ResultsError

MACHINE_FILE = "machine.json"
# Architecture names as platform.machine() and platform.platform() spell them
ARCHITECTURES = ("x86_64", "amd64", "aarch64", "arm64", "ppc64le", "s390x", "i686")


def cpu_description() -> dict[str, Any]:
    """This machine's CPU as the result files record it: ``model`` (from /proc/cpuinfo),
    whether it has AMX-BF16 and AVX512-BF16, the number of CPUs and the architecture."""
    info = Path("/proc/cpuinfo")
    text = info.read_text(encoding="utf-8", errors="replace") if info.is_file() else ""
    lines = text.splitlines()
    model = next((line.split(":", 1)[1].strip() for line in lines if "model name" in line), "")
    flags = set(next((line for line in lines if line.startswith("flags")), "").split())
    return {
        "model": model or platform.processor() or None,
        "amx_bf16": "amx_bf16" in flags,
        "avx512_bf16": "avx512_bf16" in flags,
        "cpus": os.cpu_count(),
        "architecture": platform.machine(),
    }


def record_machine(folder: Path) -> Path:
    """Write ``folder/machine.json`` (``{"cpu": ...}``, :func:`cpu_description`): the machine of
    the result files in that folder that record none."""
    if not folder.is_dir():
        raise ResultsError(f"{folder}: no such result folder")
    return write_json_atomic(folder / MACHINE_FILE, {"cpu": cpu_description()})


def machine_description(data: Any, sidecar: Mapping[str, Any] | None = None) -> str:
    """The machine a result file's numbers came from, in words, from what the file records
    (``device``, ``cpu``, ``machine``, ``cpu_count``, ``torch_cpu_capability``,
    ``native_bf16``), completed by a ``machine.json`` beside it; "CPU not recorded" where
    neither names the CPU."""
    record = data if isinstance(data, Mapping) else {}
    if isinstance(record.get("device"), str):
        return f"{record['device']} (GPU)"
    facts: dict[str, Any] = {}
    for source in (sidecar or {}, record):  # the file's own record wins
        facts.update(_machine_facts(source))
    details = []
    if facts.get("cpus"):
        details.append(f"{facts['cpus']} CPUs")
    if facts.get("architecture"):
        details.append(str(facts["architecture"]))
    details += facts.get("features", [])
    model = facts.get("model") or "CPU not recorded"
    return f"{model} ({', '.join(details)})" if details else model


def machine_of(result: ResultFile) -> str:
    """:func:`machine_description` of a result file with its ``machine.json`` (a CSV records no
    machine itself)."""
    return machine_description(
        result.data if result.name.endswith(".json") else None, _sidecar(result)
    )


def _sidecar(result: ResultFile) -> Mapping[str, Any] | None:
    """The ``machine.json`` beside ``result`` (none for that file itself)."""
    path = result.path.parent / MACHINE_FILE
    if not path.is_file() or path == result.path:
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ResultsError(f"{path}: cannot read it ({error})") from error
    return record if isinstance(record, Mapping) else None


def _machine_facts(record: Mapping[str, Any]) -> dict[str, Any]:
    """The CPU ``model``, ``cpus``, ``architecture`` and ``features`` (bfloat16 instructions,
    CUDA devices, torch's CPU capability) one record states, in any of the layouts the result
    files use; the facts it does not state are left out."""
    facts: dict[str, Any] = {}
    features: list[str] = []
    cpu = record.get("cpu")
    if isinstance(cpu, Mapping):
        facts["model"] = cpu.get("model")
        facts["cpus"] = cpu.get("cpus")
        facts["architecture"] = cpu.get("architecture")
        if "amx_bf16" in cpu or "avx512_bf16" in cpu:
            present = [
                name
                for name, key in (("AMX-BF16", "amx_bf16"), ("AVX512-BF16", "avx512_bf16"))
                if cpu.get(key)
            ]
            features.append(" and ".join(present) if present else "no AMX-BF16 or AVX512-BF16")
    elif isinstance(cpu, str):
        facts["model"] = cpu
    machine = record.get("machine")
    if isinstance(machine, str):
        if machine.lower() in ARCHITECTURES:
            facts["architecture"] = machine
        else:
            facts["model"] = facts.get("model") or machine
    elif isinstance(machine, Mapping):
        facts["cpus"] = machine.get("cpus") or machine.get("cpu_count")
        text = str(machine.get("platform", ""))
        facts["architecture"] = next((arch for arch in ARCHITECTURES if arch in text), None)
        if machine.get("cuda_devices"):
            features.append(f"{machine['cuda_devices']} CUDA devices")
    if record.get("cpu_count"):
        facts["cpus"] = facts.get("cpus") or record["cpu_count"]
    if record.get("torch_cpu_capability"):
        features.append(f"torch CPU capability {record['torch_cpu_capability']}")
    if isinstance(record.get("native_bf16"), bool):
        features.append("native bfloat16" if record["native_bf16"] else "bfloat16 emulated")
    facts["features"] = features
    return {key: value for key, value in facts.items() if value}
