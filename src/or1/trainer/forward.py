"""The policy's log-probs (and entropy) on sampled responses: the trainer's one forward pass."""

from __future__ import annotations

import torch
from torch import Tensor
from transformers import PreTrainedModel

from or1.algo.entropy import token_entropy

__all__ = ["length_groups", "response_logp"]


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

    Each row is its prompt followed by its response, padded on the right, so each token sees exactly the
    context it was sampled with. Rows are run in groups of similar length
    (`length_groups`) when that saves enough padded positions. Values at masked positions are unspecified
    (finite; 0 past a group's longest response): every caller masks them out.

    Shapes: prompts: B token lists; response_ids, resp_mask (B, T) -> logp (B, T) float32,
    entropy (B, T) float32 or None.
    """
    T = response_ids.shape[1]
    lengths = resp_mask.sum(-1).tolist()
    # Under data parallelism every rank must run the same forwards (FSDP gathers weights in each): one group.
    if _data_parallel():
        return _logp(model, prompts, response_ids, resp_mask, temperature, pad_id, with_entropy)
    groups = length_groups([len(p) for p in prompts], lengths)
    if len(groups) == 1:
        return _logp(model, prompts, response_ids, resp_mask, temperature, pad_id, with_entropy)
    parts = []
    for rows in groups:
        w = max(1, max(lengths[i] for i in rows))  # this group's response width
        idx = torch.tensor(rows)
        lp, ent = _logp(model, [prompts[i] for i in rows], response_ids[idx, :w], resp_mask[idx, :w], temperature,
                        pad_id, with_entropy)
        parts.append((lp, ent))
    order = torch.tensor([i for rows in groups for i in rows])
    inverse = torch.empty_like(order)
    inverse[order] = torch.arange(order.numel())
    pad = lambda x: torch.nn.functional.pad(x, (0, T - x.shape[1]))  # noqa: E731  (b, w) -> (b, T), zeros
    logp = torch.cat([pad(lp) for lp, _ in parts])[inverse.to(parts[0][0].device)]  # (B, T), rows as given
    entropy = torch.cat([pad(e) for _, e in parts])[inverse.to(parts[0][0].device)] if with_entropy else None
    return logp, entropy


def length_groups(prompt_lengths: list[int], response_lengths: list[int], min_rows: int = 16,
                  min_saving: float = 0.1) -> list[list[int]]:
    """Rows split into groups of similar total length, so padding to each group's longest row wastes less.

    Rows are sorted by prompt + response length and cut into 2, 4, ... equal groups of at least `min_rows`
    rows; the finest cut that still saves `min_saving` of the padded positions of the previous one is kept
    (each extra forward costs a fixed overhead, worth paying only for a real saving). One group otherwise.
    """
    n = len(prompt_lengths)
    order = sorted(range(n), key=lambda i: (prompt_lengths[i] + response_lengths[i], i))

    def cost(groups: list[list[int]]) -> int:  # positions run: rows × longest prompt + response
        return sum(len(g) * max(prompt_lengths[i] + response_lengths[i] for i in g) for g in groups)

    best = [list(range(n))]
    k = 2
    while n // k >= min_rows:
        size = -(-n // k)
        groups = [order[i : i + size] for i in range(0, n, size)]
        if cost(groups) > (1 - min_saving) * cost(best):
            break
        best, k = groups, 2 * k
    return best


def _data_parallel() -> bool:
    return torch.distributed.is_available() and torch.distributed.is_initialized() and \
        torch.distributed.get_world_size() > 1


def _logp(model: PreTrainedModel, prompts: list[list[int]], response_ids: Tensor, resp_mask: Tensor,
          temperature: float, pad_id: int, with_entropy: bool) -> tuple[Tensor, Tensor | None]:
    """One forward over the rows as given. Shapes as `response_logp`.

    Each row is its prompt then its response, padded on the right only: real tokens never see a pad (they
    all come after), so the model runs with a plain causal mask and positions 0, 1, ... (no attention mask,
    the fast path of SDPA), and every token sees exactly the context it was sampled with.
    """
    device = next(model.parameters()).device
    B, T = response_ids.shape
    p_len = torch.tensor([len(p) for p in prompts])  # (B,)
    lo, hi = int(p_len.min()), int(p_len.max())
    ids = torch.full((B, hi + T), pad_id, dtype=torch.long)  # (B, L)
    for i, p in enumerate(prompts):
        ids[i, : len(p)] = torch.tensor(p, dtype=torch.long)
        ids[i, len(p) : len(p) + T] = response_ids[i]
    pos = torch.arange(hi + T).expand(B, -1)  # (B, L)
    # The LM head runs only from the earliest position that predicts a response token (prompt end - 1).
    keep = hi + T - lo + 1
    logits = model(input_ids=ids.to(device), position_ids=pos.to(device), logits_to_keep=keep).logits  # (B, K, V)
    if hi > lo:  # row i's response is predicted from kept position (p_len_i - lo) on
        at = (p_len - lo)[:, None] + torch.arange(T)[None]  # (B, T)
        logits = logits[torch.arange(B)[:, None], at.to(device)]
    else:
        logits = logits[:, :T]
    logits = logits.float()  # (B, T, V): row i, step t predicts response token t
    if temperature != 1.0:
        logits = logits / temperature
    logp = torch.log_softmax(logits, -1).gather(-1, response_ids.to(device)[..., None]).squeeze(-1)  # (B, T)
    entropy = token_entropy(logits) if with_entropy else None
    return logp, entropy
