"""Token entropy and the adaptive entropy controller of MAGIC (DESIGN.md §1)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

__all__ = ["AdaptiveEntropyController", "estimate_entropy", "token_entropy"]


def token_entropy(logits: Tensor) -> Tensor:
    """Entropy of the next-token distribution at every position.

    H = logsumexp(z) - Σ softmax(z)·z.   Shapes: logits (..., V) -> (...,).
    """
    logits = logits.float()
    return torch.logsumexp(logits, -1) - (torch.softmax(logits, -1) * logits).sum(-1)


def estimate_entropy(old_logp: Tensor, resp_mask: Tensor) -> float:
    """Batch entropy estimate H_est = -mean(log π_old(sampled token)) over all response tokens.

    An unbiased Monte-Carlo estimate of the policy's token entropy from the rollout alone, so the
    controller needs no extra forward pass. Shapes: (N, T), (N, T) bool -> float; 0.0 for an empty mask.
    """
    n = int(resp_mask.sum())
    return 0.0 if n == 0 else float(-(old_logp * resp_mask).sum() / n)


@dataclass
class AdaptiveEntropyController:
    """Adaptive entropy coefficient α_k (MAGIC).

    After each step: α ← clip(α + Δ if H_est < H* else α - Δ, 0, α_max). The loss gets -α·H only while
    H_est < H* (`is_active`), so the term pushes entropy up when it falls below target and never drives it
    past the target; a fixed coefficient made entropy explode in the report.

    Attributes (the recipe's values are `config.EntropyConfig`'s defaults):
        target: H*.
        delta: Δ, the per-step change.
        coef_max: α_max.
        coef: the current α, starting at α_0. Saved in checkpoints: the original forgot it on resume.
    """

    target: float
    delta: float
    coef_max: float
    coef: float

    def __post_init__(self) -> None:
        if self.delta < 0 or self.coef_max < 0 or not 0.0 <= self.coef <= self.coef_max:
            raise ValueError(f"need delta >= 0 and 0 <= coef <= coef_max, got delta={self.delta}, "
                             f"coef={self.coef}, coef_max={self.coef_max}")

    def is_active(self, entropy: float) -> bool:
        """Whether the entropy bonus applies at this batch entropy estimate."""
        return entropy < self.target

    def update(self, entropy: float) -> float:
        """Move α one step toward keeping `entropy` at the target; returns the new α."""
        step = self.delta if entropy < self.target else -self.delta
        self.coef = min(max(self.coef + step, 0.0), self.coef_max)
        return self.coef

    def state_dict(self) -> dict[str, float]:
        return {"target": self.target, "delta": self.delta, "coef_max": self.coef_max, "coef": self.coef}

    def load_state_dict(self, state: dict[str, float]) -> None:
        self.target, self.delta = float(state["target"]), float(state["delta"])
        self.coef_max, self.coef = float(state["coef_max"]), float(state["coef"])
