"""Truncated importance sampling (TIS): correct the update for responses a different policy sampled.

The responses of a step come from the behaviour policy π_β: the rollout engine's weights (an older version
under asynchronous rollout) and numerics (vLLM's kernels differ from the trainer's). PPO's ratio is taken
against π_old, the trainer's own log-probs of the same tokens before the update. The per-token loss is
weighted by

    token level:     w_t = min(π_old(y_t) / π_β(y_t), C)
    sequence level:  w_i = min(Π_t π_old(y_t) / π_β(y_t), C)      (one weight for all of response i's tokens)

with C = `cap` (`algo.tis_cap`), detached: the weight rescales the gradient, it is not optimised. Without
truncation the weights' variance grows with the gap between the policies; the cap bounds it at the
price of a small bias (Ionides 2008; Yao et al. 2025 for the rollout-engine mismatch).

Also returned, for the logs: the k3 estimate of KL(π_β ‖ π_old) per token, r − 1 − log r with
r = π_old/π_β (non-negative, unbiased under π_β's samples; Schulman 2020).
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

import torch
from torch import Tensor

__all__ = ["TISWeights", "truncated_importance_weights"]


class TISWeights(NamedTuple):
    """Attributes: weight (N, T) float32, 0 on padding; clipped (N, T) bool, where the cap bound;
    kl (N, T) float32, the k3 KL(π_β ‖ π_old) per token, 0 on padding."""

    weight: Tensor
    clipped: Tensor
    kl: Tensor


@torch.no_grad()
def truncated_importance_weights(old_logp: Tensor, behaviour_logp: Tensor, mask: Tensor, cap: float,
                                 level: Literal["token", "sequence"] = "token") -> TISWeights:
    """Weights min(π_old/π_β, cap) per token or per response (module docstring).

    Shapes: old_logp, behaviour_logp (N, T) float; mask (N, T) bool -> TISWeights of (N, T).

    Example (token level, cap 2): log π_old = [-1.0, -0.5], log π_β = [-1.0, -1.5] → ratios [1, e] →
    weights [1, 2], clipped [False, True]. Sequence level: Π ratio = e → both tokens weigh 2, both clipped.
    """
    if not cap > 0:
        raise ValueError(f"algo.tis_cap={cap} must be > 0")
    if level not in ("token", "sequence"):
        raise ValueError(f"algo.tis_level={level!r} must be 'token' or 'sequence'")
    m = mask.float()
    log_ratio = (old_logp.float() - behaviour_logp.float()) * m  # (N, T); 0 on padding
    if level == "sequence":
        log_ratio_seq = log_ratio.sum(-1, keepdim=True)  # (N, 1)
        clipped = (log_ratio_seq > math.log(cap)).expand_as(mask) & mask
        weight = torch.exp(log_ratio_seq.clamp(max=math.log(cap))) * m  # (N, T)
    else:
        clipped = (log_ratio > math.log(cap)) & mask
        weight = torch.exp(log_ratio.clamp(max=math.log(cap))) * m  # exp(min(x, log C)) = min(e^x, C), no overflow
    # k3 = r - 1 - log r = expm1(x) - x: exact near r = 1, where the policies barely differ; x capped at 20
    # so that one token the behaviour policy found near-impossible cannot make the logged mean inf.
    x = log_ratio.clamp(max=20.0)
    kl = (torch.expm1(x) - x) * m
    return TISWeights(weight, clipped, kl)
