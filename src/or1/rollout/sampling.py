"""Next-token sampling: temperature, top-p, and the log-prob of the sampled token."""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["sample_next"]


def sample_next(logits: Tensor, temperature: float, top_p: float, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """Draw one token per row.

    logp is taken from softmax(logits / temperature) before the top-p cut, the distribution the trainer
    recomputes for the PPO ratio (as verl does); with top_p = 1 (the recipe) the two coincide.

    Shapes: logits (B, V) -> tokens (B,), logp (B,).
    Edge case: temperature 0 is greedy decoding, and logp is then taken at temperature 1.
    """
    logits = logits.float()
    if temperature <= 0:
        tokens = logits.argmax(-1)  # (B,)
        return tokens, torch.log_softmax(logits, -1).gather(-1, tokens[:, None]).squeeze(-1)
    if temperature != 1.0:
        logits = logits / temperature
    probs = torch.softmax(logits, -1)  # (B, V)
    if top_p < 1.0:
        sorted_p, order = probs.sort(-1, descending=True)  # (B, V)
        drop = sorted_p.cumsum(-1) - sorted_p > top_p  # keep the smallest prefix with mass >= top_p
        sorted_p = sorted_p.masked_fill(drop, 0.0)
        tokens = order.gather(-1, _inverse_cdf(sorted_p, generator)[:, None]).squeeze(-1)  # (B,)
    else:
        tokens = _inverse_cdf(probs, generator)  # (B,)
    logp = logits.gather(-1, tokens[:, None]).squeeze(-1) - torch.logsumexp(logits, -1)  # log softmax at the token
    return tokens, logp


def _inverse_cdf(probs: Tensor, generator: torch.Generator) -> Tensor:
    """One draw per row from unnormalised probabilities, by inverting the cumulative distribution.

    One uniform per row instead of `torch.multinomial`'s one exponential per vocabulary entry (the sampler's
    main cost at batch 128 on CPU). The draw is the first token whose cumulative mass reaches (1 - u)·total,
    u ~ U[0, 1): that target lies in (0, total], so a token of probability 0 is never drawn.
    Shapes: probs (B, V) -> (B,).
    """
    cdf = probs.cumsum(-1)  # (B, V)
    u = torch.rand(probs.shape[0], 1, generator=generator, dtype=cdf.dtype, device=cdf.device)  # (B, 1)
    return torch.searchsorted(cdf, (1.0 - u) * cdf[:, -1:]).squeeze(-1)  # (B,)
