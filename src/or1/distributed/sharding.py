"""Which groups of a mini-batch each data-parallel rank trains on."""

from __future__ import annotations

__all__ = ["rank_share"]


def rank_share(first: int, stop: int, rank: int, world_size: int) -> range:
    """`rank`'s contiguous share of the groups [first, stop) of one mini-batch; groups are never split.

    The shares of ranks 0 .. W-1 tile [first, stop) in order and differ in size by at most one group, so
    any number of groups works (online filtering can keep fewer than a batch): a rank may get none, and
    `policy_update` then runs empty micro-batches to keep FSDP's collectives in step.

    Example: first=0, stop=5, W=2 -> rank 0 range(0, 2), rank 1 range(2, 5).

    Raises:
        ValueError: rank outside 0 .. W-1, or an empty/negative interval description.
    """
    if not 0 <= rank < world_size:
        raise ValueError(f"rank {rank} is outside world size {world_size}")
    if stop < first:
        raise ValueError(f"bad group interval [{first}, {stop})")
    n = stop - first
    return range(first + rank * n // world_size, first + (rank + 1) * n // world_size)
