"""Rollouts split across data-parallel groups of ranks, each with its own engine (colocated vLLM).

Under torchrun with `rollout.engine: vllm` every rank runs the rollout loop in lockstep on the same
prompts. Without a split, every data-parallel group would sample the whole batch; with it, group d of
D = world_size / tensor_parallel_size samples its contiguous share of the prompts and the parts are
all-gathered, so the rollout time divides by D and every rank still holds the same, whole batch.
"""

from __future__ import annotations

from typing import Protocol

import torch.distributed as dist

from or1.distributed.sharding import rank_share
from or1.distributed.world import World
from or1.rollout.types import RolloutBatch, SamplingParams, cat_batches

__all__ = ["DataParallelEngine", "SliceEngine"]


class SliceEngine(Protocol):
    """An engine that can sample a slice of a batch: response j of the call is seeded as response
    `first_index + j` of the whole batch (VLLMEngine's per-request seeds)."""

    def generate(self, prompt_ids: list[list[int]], params: SamplingParams, seed: int,
                 first_index: int = 0) -> RolloutBatch: ...

    def sync_weights(self) -> None: ...

    def close(self) -> None: ...


class DataParallelEngine:
    """`RolloutEngine` over one engine per tensor-parallel group; all ranks call `generate` together.

    Args:
        engine: this rank's engine (every rank of a tensor-parallel group holds the same one).
        world: this process's place in the launch.
        tensor_parallel_size: ranks per engine; must divide the world size.
        pad_id: pad token of the concatenated batch.

    The result equals the engine sampling every prompt itself (per-response seeds do not depend on which
    group samples which slice), on every rank.
    """

    def __init__(self, engine: SliceEngine, world: World, tensor_parallel_size: int, pad_id: int) -> None:
        if world.world_size % tensor_parallel_size:
            raise ValueError(f"rollout.tensor_parallel_size={tensor_parallel_size} must divide the world size "
                             f"{world.world_size}")
        self.engine, self.world, self.tp, self.pad_id = engine, world, tensor_parallel_size, pad_id

    def generate(self, prompt_ids: list[list[int]], params: SamplingParams, seed: int) -> RolloutBatch:
        groups = self.world.world_size // self.tp
        share = rank_share(0, len(prompt_ids), self.world.rank // self.tp, groups)
        part = None
        if len(share):  # a group with no prompts (fewer prompts than groups) samples nothing
            part = self.engine.generate(prompt_ids[share.start : share.stop], params, seed,
                                        first_index=share.start * params.n)
        parts: list[RolloutBatch | None] = [None] * self.world.world_size
        dist.all_gather_object(parts, part)
        firsts = [parts[g * self.tp] for g in range(groups)]  # one copy per tensor-parallel group, in order
        return cat_batches([p for p in firsts if p is not None], self.pad_id)

    def sync_weights(self) -> None:
        self.engine.sync_weights()

    def close(self) -> None:
        self.engine.close()
