"""GRPO outcome advantages (DESIGN.md §1)."""

from __future__ import annotations

from torch import Tensor

__all__ = ["group_advantages", "to_tokens"]


def group_advantages(rewards: Tensor, group_size: int, eps: float = 1e-6) -> Tensor:
    """GRPO outcome advantage, one value per response.

    A_i = (r_i - mean_g r) / (std_g r + eps), over the G responses of response i's prompt.

    Args:
        rewards: (N,) float rewards, grouped contiguously, N = P·G.
        group_size: G >= 2 (a group of one has no baseline).
        eps: keeps the division finite for equal rewards.

    Returns:
        (N,) advantages. A group with equal rewards gets 0 everywhere; std is the sample (n-1) std, as in
        the original (torch.std's default).
    """
    if group_size < 2:
        raise ValueError(f"group_size must be >= 2 for a group baseline, got {group_size}")
    if rewards.ndim != 1 or rewards.numel() % group_size:
        raise ValueError(f"rewards must be 1-D with a multiple of group_size={group_size} entries, "
                         f"got shape {tuple(rewards.shape)}")
    r = rewards.float().view(-1, group_size)  # (P, G)
    adv = (r - r.mean(-1, keepdim=True)) / (r.std(-1, keepdim=True) + eps)  # (P, G)
    return adv.view(-1)  # (N,)


def to_tokens(adv: Tensor, resp_mask: Tensor) -> Tensor:
    """Broadcast each response's advantage to its tokens, 0 on padding.

    Shapes: adv (N,), resp_mask (N, T) bool -> (N, T).
    """
    return adv[:, None] * resp_mask.to(adv.dtype)  # (N, T)
