"""The policy's log-probs (and entropy) on sampled responses: the trainer's one forward pass."""

from __future__ import annotations

import torch
from torch import Tensor
from transformers import PreTrainedModel

from or1.algo.entropy import token_entropy
from or1.rollout.hf_engine import left_pad

__all__ = ["response_logp"]


def response_logp(
    model: PreTrainedModel,
    prompts: list[list[int]],
    response_ids: Tensor,
    resp_mask: Tensor,
    temperature: float,
    pad_id: int,
    with_entropy: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """log π_θ of each response token given its prompt, from logits / temperature (as the rollout).

    Prompts are left-padded and responses follow them, with positions counted over real tokens only, so
    each token sees exactly the context it was sampled with.

    Shapes: prompts: B token lists; response_ids, resp_mask (B, T) -> logp (B, T) float32,
    entropy (B, T) float32 or None.
    """
    device = next(model.parameters()).device
    p_ids, p_mask = left_pad(prompts, pad_id)  # (B, Lp)
    ids = torch.cat([p_ids, response_ids], 1).to(device)  # (B, Lp + T)
    mask = torch.cat([p_mask, resp_mask], 1).to(device)
    pos = (mask.long().cumsum(-1) - 1).clamp(min=0)
    lp = p_ids.shape[1]
    logits = model(input_ids=ids, attention_mask=mask.long(), position_ids=pos).logits  # (B, L, V)
    logits = logits[:, lp - 1 : -1].float() / temperature  # (B, T, V): position t predicts token t
    logp = torch.log_softmax(logits, -1).gather(-1, response_ids.to(device)[..., None]).squeeze(-1)  # (B, T)
    entropy = token_entropy(logits) if with_entropy else None
    return logp, entropy
