"""Which groups of a step's batch each data-parallel rank trains on."""

from __future__ import annotations

__all__ = ["local_groups"]


def local_groups(num_groups: int, mini_batch_groups: int, rank: int, world_size: int) -> list[int]:
    """Group indices of `rank`'s share: an equal slice of every mini-batch, groups never split.

    Mini-batch k holds groups [k·M, min((k+1)·M, num_groups)); each rank takes a contiguous 1/W of it, so
    the rank's own mini-batches of M/W groups are exactly its shares of the global mini-batches, and
    every rank runs the same number of micro-batches (FSDP collectives must line up across ranks).

    Example: num_groups=8, M=4, W=2 -> rank 0 [0, 1, 4, 5], rank 1 [2, 3, 6, 7].

    Args:
        num_groups: P, groups in the step's batch.
        mini_batch_groups: M, groups per optimiser step over all ranks.
        rank: this rank, 0 .. W - 1.
        world_size: W.

    Returns:
        P / W group indices, in order; the rank's mini-batch size is M / W.

    Raises:
        ValueError: P or M not divisible by W (trim the batch to whole groups per rank first).
    """
    if num_groups % world_size or mini_batch_groups % world_size:
        raise ValueError(f"groups per step ({num_groups}) and per mini-batch ({mini_batch_groups}) must both be "
                         f"divisible by the world size ({world_size})")
    if not 0 <= rank < world_size:
        raise ValueError(f"rank {rank} is outside world size {world_size}")
    out: list[int] = []
    for first in range(0, num_groups, mini_batch_groups):
        share = (min(num_groups, first + mini_batch_groups) - first) // world_size
        out.extend(range(first + rank * share, first + (rank + 1) * share))
    return out
