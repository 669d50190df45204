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
    logp_all = torch.log_softmax(logits / temperature, -1)  # (B, V)
    probs = logp_all.exp()
    if top_p < 1.0:
        sorted_p, order = probs.sort(-1, descending=True)  # (B, V)
        drop = sorted_p.cumsum(-1) - sorted_p > top_p  # keep the smallest prefix with mass >= top_p
        sorted_p = sorted_p.masked_fill(drop, 0.0)
        probs = torch.zeros_like(probs).scatter(-1, order, sorted_p)
    tokens = torch.multinomial(probs, 1, generator=generator).squeeze(-1)  # (B,)
    return tokens, logp_all.gather(-1, tokens[:, None]).squeeze(-1)
