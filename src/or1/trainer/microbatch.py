"""Splitting a step's rows into the forwards/backwards of a policy update: mini-batches of whole groups,
each rank's share of them, and micro-batches by row count or by a padded-token budget."""

from __future__ import annotations

from dataclasses import dataclass

from or1.distributed.sharding import rank_share

__all__ = ["MiniBatch", "plan_micro_batches", "plan_update"]


def plan_micro_batches(lengths: list[int], max_rows: int, max_tokens: int | None = None) -> list[range]:
    """Contiguous row ranges covering `lengths` in order, each one forward/backward.

    A micro-batch is padded to its longest row, so its cost is rows × longest (prompt + response) length.
    Each range holds at most `max_rows` rows and, with `max_tokens`, costs at most `max_tokens` padded
    tokens; a single row longer than the budget forms a micro-batch of its own. The split never changes
    the loss: every micro-batch is normalised by the whole mini-batch's token count.

    Example: lengths [3, 3, 8, 2], max_rows 4, max_tokens 10 -> [range(0, 2), range(2, 3), range(3, 4)].

    Args:
        lengths: tokens per row (prompt + response, unpadded).
        max_rows: the row cap (`algo.micro_batch_size`).
        max_tokens: the padded-token budget (`algo.micro_batch_tokens`), or None for rows only.
    """
    if max_rows < 1 or (max_tokens is not None and max_tokens < 1):
        raise ValueError(f"micro-batch limits must be >= 1 (rows {max_rows}, tokens {max_tokens})")
    out: list[range] = []
    start, longest = 0, 0
    for i, n in enumerate(lengths):
        rows, wider = i - start + 1, max(longest, n)
        over = rows > max_rows or (max_tokens is not None and rows * wider > max_tokens)
        if over and i > start:
            out.append(range(start, i))
            start, wider = i, n
        longest = wider
    if start < len(lengths):
        out.append(range(start, len(lengths)))
    return out


@dataclass(frozen=True)
class MiniBatch:
    """One optimiser step of the update, as one rank runs it.

    Attributes:
        rows: every row of the mini-batch, over all ranks (its loss is normalised by their token count).
        micro: this rank's micro-batches in order, as row ranges of the step batch; `None` is a padding
            micro-batch, run (with no tokens counted) only so that every rank makes the same collectives.
    """

    rows: range
    micro: tuple[range | None, ...]


def plan_update(lengths: list[int], group_size: int, mini_batch_groups: int, *, max_rows: int,
                max_tokens: int | None, rank: int = 0, world_size: int = 1) -> list[MiniBatch]:
    """The mini-batches of one update and `rank`'s micro-batches in each.

    Mini-batches take `mini_batch_groups` whole groups in order (the last may hold fewer). Each rank
    trains on its `rank_share` of a mini-batch's groups, cut into micro-batches by `plan_micro_batches`;
    a rank with fewer micro-batches than the busiest rank of that mini-batch gets padding ones (`None`).

    Example: 3 groups of 2 rows, lengths [4, 4, 4, 4, 9, 9], mini_batch_groups 3, max_rows 2, max_tokens
    None, 2 ranks: one mini-batch rows 0..5; rank 0 holds group 0 → micro (range(0, 2), None); rank 1 holds
    groups 1-2 → micro (range(2, 4), range(4, 6)).

    Args:
        lengths: prompt + response tokens of every row of the step batch (groups contiguous).
    """
    if group_size < 1 or mini_batch_groups < 1 or len(lengths) % group_size:
        raise ValueError(f"{len(lengths)} rows do not form groups of {group_size} (mini-batches of "
                         f"{mini_batch_groups} groups)")
    g, num_groups = group_size, len(lengths) // group_size
    out = []
    for first in range(0, num_groups, mini_batch_groups):
        stop = min(num_groups, first + mini_batch_groups)
        plans = []
        for r in range(world_size):
            share = rank_share(first, stop, r, world_size)
            lo, hi = share.start * g, share.stop * g
            plans.append([range(lo + mb.start, lo + mb.stop)
                          for mb in plan_micro_batches(lengths[lo:hi], max_rows, max_tokens)])
        busiest = max(len(p) for p in plans)
        mine: list[range | None] = [*plans[rank], *[None] * (busiest - len(plans[rank]))]
        out.append(MiniBatch(range(first * g, stop * g), tuple(mine)))
    return out
