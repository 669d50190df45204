"""The PPO clipped surrogate with clip-higher, aggregated as a token-level mean (DESIGN.md §1)."""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

__all__ = ["LossOut", "clipped_surrogate", "token_mean"]


class LossOut(NamedTuple):
    """Per-token loss and diagnostics of one (micro-)batch.

    Attributes:
        per_token: (N, T) loss, 0 on masked tokens. Turn it into a scalar with `token_mean`.
        ratio: (N, T) π_θ / π_old, detached.
        clipped: (N, T) bool, True where the clipped branch was taken (its gradient is 0).
    """

    per_token: Tensor
    ratio: Tensor
    clipped: Tensor


def clipped_surrogate(
    logp: Tensor, old_logp: Tensor, adv: Tensor, resp_mask: Tensor, clip_low: float, clip_high: float
) -> LossOut:
    """PPO clipped objective per token, negated to be minimised.

    loss_t = -min(ρ_t A_t, clip(ρ_t, 1 - ε_low, 1 + ε_high) A_t),   ρ_t = exp(logp_t - old_logp_t).

    Clip-higher (ε_high > ε_low) lets low-probability tokens with positive advantage grow further before
    the clip stops them, which slows entropy collapse (the report found ε_high 0.25-0.265 helped).

    Args:
        logp: (N, T) log π_θ of the sampled tokens (requires grad).
        old_logp: (N, T) log π_old from the rollout.
        adv: (N, T) per-token advantages (see `advantage.to_tokens`).
        resp_mask: (N, T) bool, True on tokens that count.
        clip_low: ε_low (0.2 in the recipe).
        clip_high: ε_high (0.2; 0.25-0.265 with clip-higher).

    Returns:
        LossOut with masked per-token loss; fully masked rows contribute 0.
    """
    # Mask the log-ratio before exp: a padding position with a huge gap would overflow to inf, and
    # inf * 0 is NaN in the loss and in its gradient, which no later masking can remove. The clamp to
    # ±20 (as verl) keeps the gradient of the branch `min` did not pick finite; such tokens are clipped.
    log_ratio = torch.where(resp_mask, logp - old_logp, torch.zeros_like(logp)).clamp(-20.0, 20.0)  # (N, T)
    ratio = torch.exp(log_ratio)  # (N, T)
    unclipped = ratio * adv
    clipped_obj = torch.clamp(ratio, 1.0 - clip_low, 1.0 + clip_high) * adv
    objective = torch.minimum(unclipped, clipped_obj)  # (N, T)
    mask = resp_mask.to(logp.dtype)
    took_clip = (clipped_obj < unclipped) & resp_mask  # the min picked the clipped branch
    return LossOut(per_token=-objective * mask, ratio=ratio.detach(), clipped=took_clip)


def token_mean(x: Tensor, resp_mask: Tensor, num_tokens: float | int) -> Tensor:
    """Sum of `x` over counted tokens divided by `num_tokens`: the one place a loss becomes a scalar.

    The trainer passes the token count of the whole mini-batch (over all micro-batches and ranks), so
    summing the micro-batch results gives the exact mean over every response token of the mini-batch,
    whatever the micro-batching or world size. The original averaged per micro-batch, which weights
    tokens of short micro-batches more.

    Shapes: x (N, T), resp_mask (N, T) bool -> scalar.
    """
    if num_tokens <= 0:
        raise ValueError(f"num_tokens must be positive, got {num_tokens}")
    return (x * resp_mask.to(x.dtype)).sum() / num_tokens
