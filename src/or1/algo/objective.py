"""The loss a mini-batch minimises: the token-mean PPO loss minus α times the token-mean entropy (MAGIC).

    L = (1/n) Σ_tokens ℓ_PPO(t)  −  α · (1/n) Σ_tokens H(t)

n is the token count of the whole mini-batch, over every micro-batch and rank (`policy_loss.token_mean`),
so the parts computed on micro-batches sum to the mini-batch's loss exactly. α is the adaptive entropy
controller's coefficient (`entropy.AdaptiveEntropyController`), 0 while the estimated entropy is at or
above target.
"""

from __future__ import annotations

from typing import NamedTuple

from torch import Tensor

from or1.algo.policy_loss import token_mean

__all__ = ["Objective", "objective"]


class Objective(NamedTuple):
    """One micro-batch's share of the mini-batch loss.

    Attributes:
        loss: the scalar to backpropagate, `policy − entropy_coef · entropy`.
        policy: this share of the token-mean PPO loss (for the metrics).
        entropy: this share of the token-mean entropy of π_θ (for the metrics).
    """

    loss: Tensor
    policy: Tensor
    entropy: Tensor


def objective(policy_per_token: Tensor, entropy_per_token: Tensor, mask: Tensor, num_tokens: int,
              entropy_coef: float) -> Objective:
    """The micro-batch's share of L (module docstring).

    With α = 0 the entropy term is left out of the graph altogether (not multiplied by 0): the loss is then
    bitwise the plain PPO loss and no gradient flows through the entropy.

    Shapes: policy_per_token, entropy_per_token (N, T); mask (N, T) bool -> scalars.

    Example: ℓ = [[1, 3]], H = [[0.5, 0.5]], mask all True, n = 4, α = 0.1:
    policy = 4/4 = 1.0, entropy = 1/4 = 0.25, loss = 1.0 − 0.025 = 0.975.
    """
    policy = token_mean(policy_per_token, mask, num_tokens)
    entropy = token_mean(entropy_per_token, mask, num_tokens)
    # A why: `policy - 0 * entropy` would still backpropagate through the entropy (a full-vocabulary
    # softmax per token) and can turn a NaN there into a NaN gradient.
    loss = policy - entropy_coef * entropy if entropy_coef > 0 else policy
    return Objective(loss, policy, entropy)
