"""Who this process is in a `torchrun` launch, and the few collectives the trainer needs.

Without `torchrun` (no WORLD_SIZE in the environment) everything here describes one process and every
collective is the identity, so the CPU demo and a multi-node FSDP run share one code path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TypeVar

import torch
import torch.distributed as dist

T = TypeVar("T")

__all__ = ["World", "all_reduce_sum", "barrier", "broadcast_object", "init_distributed", "is_main", "shutdown",
           "world"]


@dataclass(frozen=True)
class World:
    """This process's place among the data-parallel workers.

    Attributes:
        rank: global rank, 0 .. world_size - 1.
        world_size: number of processes in the launch (1 without torchrun).
        local_rank: rank on this node; picks the GPU.
    """

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def world() -> World:
    """The World that torchrun's environment variables (RANK, WORLD_SIZE, LOCAL_RANK) describe."""
    env = os.environ
    return World(int(env.get("RANK", 0)), int(env.get("WORLD_SIZE", 1)), int(env.get("LOCAL_RANK", 0)))


def init_distributed(backend: str | None = None) -> World:
    """Join the process group torchrun set up (once); a no-op for a single process.

    Args:
        backend: "nccl" or "gloo"; default nccl when CUDA is available, else gloo (CPU).

    Returns:
        This process's World.
    """
    w = world()
    if not w.distributed or dist.is_initialized():
        return w
    if backend is None:
        backend = "nccl" if torch.cuda.is_available() else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(w.local_rank)
    dist.init_process_group(backend)
    return w


def shutdown() -> None:
    """Leave the process group (all ranks must call it), if one was joined."""
    if dist.is_initialized():
        # Leave together: a gloo rank whose peer has already torn its group down can abort in
        # its own teardown ("terminate called without an active exception", seen under load).
        dist.barrier()
        dist.destroy_process_group()


def is_main() -> bool:
    """True on rank 0: the process that logs, writes train state and exports."""
    return world().rank == 0


def barrier() -> None:
    """Wait for every rank; nothing to wait for in a single process."""
    if dist.is_initialized():
        dist.barrier()


def all_reduce_sum(x: torch.Tensor) -> torch.Tensor:
    """The sum of `x` over all ranks, as a new tensor on `x`'s device (a copy of `x` for one process).

    Shapes: x any shape -> same shape. NCCL reduces on the GPU, so CPU inputs travel there and back.
    """
    if not dist.is_initialized() or dist.get_world_size() == 1:
        return x.clone()
    dev = torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else x.device
    y = x.to(dev, copy=True)  # never reduce in place into the caller's tensor
    dist.all_reduce(y, op=dist.ReduceOp.SUM)
    return y.to(x.device)


def broadcast_object(obj: T) -> T:
    """Rank 0's `obj` on every rank (pickled; tensors inside travel with it); `obj` itself in one process."""
    if not dist.is_initialized() or dist.get_world_size() == 1:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]
