"""Process-group facts and collectives for training on several processes (PyTorch DDP).

A process learns its place from the environment that ``torchrun`` (or
:func:`jtcse.training.launcher.launch`, or ``accelerate launch``) sets: ``RANK`` (0 .. W-1
over all machines), ``WORLD_SIZE`` (W), ``LOCAL_RANK`` (its GPU on this machine). Without
them, or with W = 1, every function here is the identity and training runs in one process, as
before.

Global batch, local slices. A global batch of ``batch_size`` sentences is cut into W
contiguous slices (:func:`local_slice`); rank r encodes slice r only. The contrastive losses
need the whole global batch as negatives, so each rank gathers the embeddings of all ranks
(:func:`gather_with_local_gradient`) and computes the loss L of the whole global batch, the
same number on every rank. Only its own slice is differentiable on rank r, so its backward pass
gives g_r = sum_{i in slice r} (dL/de_i)(de_i/dtheta). By the chain rule the full gradient is
dL/dtheta = sum_i (dL/de_i)(de_i/dtheta) = sum_r g_r. DDP averages the ranks' gradients, so
each rank backpropagates W * L: (1/W) sum_r W g_r = dL/dtheta, exactly the single-process
gradient of the same global batch (:func:`jtcse.training.compute_gradients`).
"""

from __future__ import annotations

import inspect
import math
import os
from datetime import timedelta
from typing import TypeVar

import torch
import torch.distributed as dist
from torch import Tensor

from jtcse.modeling.device import uses_cuda

T = TypeVar("T")

# How long a collective may wait: other ranks wait while rank 0 alone evaluates on STS-B dev
# and writes checkpoints (a BERT-base checkpoint with its AdamW state is about 1.3 GB).
COLLECTIVE_TIMEOUT = timedelta(minutes=30)


def init_from_environment() -> None:
    """Join the process group that ``torchrun`` describes in the environment, once.

    With ``WORLD_SIZE`` > 1 and no group yet: select this process's GPU (``LOCAL_RANK``) as
    the current CUDA device, so that ``.to("cuda")`` places models on it, and initialise the
    group with the NCCL backend on GPUs or gloo on CPUs (the device of
    :func:`jtcse.modeling.device.default_device`). Otherwise do nothing.
    """
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or dist.is_initialized():
        return
    if uses_cuda():
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        if local_rank >= torch.cuda.device_count():
            raise ValueError(
                f"LOCAL_RANK {local_rank} has no GPU: this machine has "
                f"{torch.cuda.device_count()}; start at most that many processes per machine"
            )
        torch.cuda.set_device(local_rank)
        dist.init_process_group("nccl", timeout=COLLECTIVE_TIMEOUT)
    else:
        dist.init_process_group("gloo", timeout=COLLECTIVE_TIMEOUT)


def world_size() -> int:
    """W: the number of processes of the initialised process group (1 without one)."""
    return dist.get_world_size() if dist.is_initialized() else 1


def rank() -> int:
    """This process's rank in 0 .. W-1 (0 without a process group)."""
    return dist.get_rank() if dist.is_initialized() else 0


def is_main_process() -> bool:
    """Whether this is rank 0, the process that alone writes files and logs."""
    return rank() == 0


def check_batch_split(batch_size: int, num_sentences: int, total_steps: int) -> None:
    """Every rank must get a non-empty, equal slice of each full global batch of
    ``batch_size`` sentences, over the ``total_steps`` steps of a run on ``num_sentences``."""
    size = world_size()
    if size == 1:
        return
    if batch_size % size:
        raise ValueError(
            f"batch_size ({batch_size}) must be a multiple of the number of processes "
            f"({size}): each process takes an equal slice of every global batch"
        )
    last_batch = num_sentences % batch_size
    if 0 < last_batch < size and total_steps >= math.ceil(num_sentences / batch_size):
        raise ValueError(
            f"the last batch of each epoch holds {last_batch} of the {num_sentences} sentences, "
            f"fewer than the {size} processes: change the number of sentences or batch_size"
        )


def local_slice(indices: Tensor) -> Tensor:
    """This rank's contiguous part of a global batch's sentence indices.

    ``indices.tensor_split(W)[rank]``: slices in rank order, whose sizes differ by at most one
    (equal when W divides the batch size), so the ranks' slices concatenated in rank order are
    the global batch in its order.
    """
    return indices.tensor_split(world_size())[rank()]


def gather_with_local_gradient(tensor: Tensor) -> Tensor:
    """The rows of ``tensor`` of every rank, concatenated along dim 0 in rank order.

    The other ranks' rows arrive through ``all_gather`` as constants; this rank's slot holds
    ``tensor`` itself, so gradients flow into this rank's rows only, and the sum over ranks of
    these gradients is the gradient of the concatenation (module docstring). Ranks may hold
    different numbers of rows (the last batch of an epoch); the other dimensions must agree.
    Identity in one process.

    Args:
        tensor: ``[rows, ...]`` on this rank's device (a CUDA tensor with NCCL).

    Returns:
        ``[sum of rows over ranks, ...]``.
    """
    size = world_size()
    if size == 1:
        return tensor
    rows = torch.tensor([tensor.shape[0]], device=tensor.device)
    all_rows = [torch.empty_like(rows) for _ in range(size)]
    dist.all_gather(all_rows, rows)
    counts = [int(count) for count in all_rows]
    padded = tensor.detach().new_zeros((max(counts), *tensor.shape[1:]))
    padded[: tensor.shape[0]] = tensor.detach()
    parts = [torch.empty_like(padded) for _ in range(size)]
    dist.all_gather(parts, padded)
    pieces = [part[:count] for part, count in zip(parts, counts, strict=True)]
    pieces[rank()] = tensor
    return torch.cat(pieces)


def broadcast_object(value: T) -> T:
    """Rank 0's ``value`` on every rank (any picklable object; identity in one process)."""
    if world_size() == 1:
        return value
    holder = [value]
    device = torch.device("cuda", torch.cuda.current_device()) if _uses_nccl() else None
    dist.broadcast_object_list(holder, src=0, device=device)
    return holder[0]


def any_rank(flag: bool) -> bool:
    """Whether ``flag`` is true on any rank (``flag`` itself in one process)."""
    if world_size() == 1:
        return flag
    device = torch.device("cuda", torch.cuda.current_device()) if _uses_nccl() else None
    value = torch.tensor([int(flag)], device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item())


def barrier() -> None:
    """Wait until every rank gets here (nothing to wait for in one process)."""
    if world_size() > 1:
        dist.barrier()


def wrap_model(model: torch.nn.Module) -> torch.nn.Module:
    """``model`` in ``DistributedDataParallel`` under a process group; ``model`` otherwise.

    DDP averages the gradients across ranks during the backward pass (and puts rank 0's
    weights on every rank when it wraps). ``find_unused_parameters``: some trainable
    parameters get no gradient, such as the pooler of a tower trained on its [CLS] vector
    (computed in the forward pass but not used by the loss; DDP then warns once that it
    found no unused parameter, yet without the option the next step fails) or a loss term
    with weight 0. Buffers are not re-broadcast at each forward: the encoders' buffers are
    constants (position ids), and the number of forward calls of a step may differ between
    ranks (length chunks of an uneven last slice), which a per-forward collective forbids.
    """
    if world_size() == 1:
        return model
    device = next(parameter.device for parameter in model.parameters())
    ddp = torch.nn.parallel.DistributedDataParallel
    # torch 2.13 renamed broadcast_buffers (now deprecated) to forward_sync_buffers.
    renamed = "forward_sync_buffers" in inspect.signature(ddp).parameters
    return ddp(
        model,
        device_ids=[device.index] if device.type == "cuda" else None,
        find_unused_parameters=True,
        **{"forward_sync_buffers" if renamed else "broadcast_buffers": False},
    )


def _uses_nccl() -> bool:
    return dist.get_backend() == "nccl"
