"""Online filtering of uninformative groups and the offline filter between stages (DESIGN.md §1)."""

from __future__ import annotations

from torch import Tensor

__all__ = ["informative_groups", "offline_keep"]


def informative_groups(rewards: Tensor, group_size: int) -> Tensor:
    """True for groups whose rewards are not all equal.

    A group where every response got the same reward (all 0 or all 1) has zero advantage everywhere and
    gives no gradient signal, only noise in the token mean.

    Shapes: rewards (N,) grouped contiguously -> (P,) bool.
    """
    r = rewards.view(-1, group_size)  # (P, G)
    return (r != r[:, :1]).any(-1)  # (P,)


def offline_keep(pass_counts: Tensor, n: int, drop_unsolved: bool = False) -> Tensor:
    """Prompts to keep for the next stage, from how many of `n` samples the current policy solved.

    Prompts solved in all `n` samples are dropped (nothing left to learn); with `drop_unsolved`, so are
    prompts never solved.

    Shapes: pass_counts (P,) int in [0, n] -> (P,) bool.
    """
    keep = pass_counts < n
    if drop_unsolved:
        keep &= pass_counts > 0
    return keep
