"""The policy's log-probs (and entropy) on sampled responses: the trainer's one forward pass."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn
from transformers import DynamicCache, PreTrainedModel

from or1.algo.entropy import token_entropy
from or1.rollout.hf_engine import left_pad
from or1.rollout.kv_cache import cache_kwarg, distinct, gather_cache, shares_prefix
from or1.rollout.types import pad_cat
from or1.trainer.lm_head_chunks import CHUNK_TOKENS, chunked_token_logp

__all__ = ["LOGP_CHUNK_TOKENS", "length_groups", "response_logp"]

# Positions per LM-head block of the log-prob computation (`lm_head_chunks`); None = full logits. A config
# key (`algo.logp_chunk_tokens`) would carry it; the default bounds the head's memory at any length.
LOGP_CHUNK_TOKENS: int | None = CHUNK_TOKENS

_Part = tuple[Tensor, Tensor | None]  # (logp, entropy) of some rows, (b, w) each
_Select = Callable[[Tensor], Tensor]  # (b, K, X) at the LM head -> (b, w, X), the positions predicting tokens


def response_logp(
    model: PreTrainedModel,
    prompts: list[list[int]],
    response_ids: Tensor,
    resp_mask: Tensor,
    temperature: float,
    pad_id: int,
    with_entropy: bool = False,
    chunk_tokens: int | None = LOGP_CHUNK_TOKENS,
) -> tuple[Tensor, Tensor | None]:
    """log π_θ of each response token given its prompt, from logits / temperature (as the rollout).

    Every token sees exactly the context it was sampled with, in one of two ways (same values up to float
    rounding, and the same gradients):

    - shared prompts, when rows repeat their prompts (a GRPO batch: each prompt `group_size` times): each
      distinct prompt runs once, and its group's responses read, and backpropagate through, its keys and
      values (`kv_cache`). A prompt of P tokens in a group of G costs P positions instead of G·P.
    - otherwise each row is its prompt followed by its response, padded on the right (`_logp`).

    Rows are run in groups of similar length (`length_groups`) when that saves enough padded positions.
    Values at masked positions are unspecified (finite; 0 past a group's longest response): every caller
    masks them out.

    The LM head runs in blocks of `chunk_tokens` positions (`lm_head_chunks.chunked_token_logp`, recomputed
    in backward), so no (positions, V) logits of a whole row ever exist; `chunk_tokens=None` takes the full
    logits instead (the same values up to float rounding; also the way for models whose logits are more
    than their head's matmul, e.g. Gemma 2's soft-capping).

    Shapes: prompts: B token lists; response_ids, resp_mask (B, T) -> logp (B, T) float32,
    entropy (B, T) float32 or None.
    """
    B, T = response_ids.shape
    if not all(prompts):
        raise ValueError("response_logp needs a non-empty prompt on every row (its last token predicts the "
                         "first response token)")
    lengths = resp_mask.sum(-1).tolist()
    uniq, inverse = distinct(prompts)
    # Under data parallelism every rank must run the same forwards (FSDP gathers weights in each), whatever
    # its rows: one group, and the same way on every rank (`shares_prefix` depends on the model only).
    data_parallel = _data_parallel()
    shared = shares_prefix(model) and (data_parallel or 2 * len(uniq) <= B)
    if data_parallel:
        groups = [list(range(B))]
    else:
        groups = length_groups([0] * B if shared else [len(p) for p in prompts], lengths)

    def width(rows: list[int]) -> int:  # a group's response width: its longest response, at least 1
        return T if len(groups) == 1 else max(1, max(lengths[i] for i in rows))

    head = _Head(temperature, with_entropy, chunk_tokens if _plain_lm_head(model) else None)
    prompt = _prompt_forward(model, uniq, pad_id, head) if shared else None

    def run(rows: list[int]) -> _Part:
        resp = _rows(response_ids, rows, width(rows))
        if prompt is not None:
            return _after_prompts(model, prompt, [inverse[i] for i in rows], resp, head)
        return _logp(model, [prompts[i] for i in rows], resp, pad_id, head)

    if len(groups) == 1:
        return run(groups[0])
    parts = [run(rows) for rows in groups]
    order = torch.tensor([i for rows in groups for i in rows])
    inverse_order = torch.empty_like(order)
    inverse_order[order] = torch.arange(order.numel())
    at = inverse_order.to(parts[0][0].device)
    logp = pad_cat([lp for lp, _ in parts], 0.0, T)[at]  # (B, T), rows as given; zeros past each group's width
    entropy = pad_cat([e for _, e in parts], 0.0, T)[at] if with_entropy else None  # type: ignore[misc]
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


def _rows(x: Tensor, rows: list[int], width: int) -> Tensor:
    """x[rows, :width], without a copy when the rows are all of x in order."""
    if rows == list(range(x.shape[0])):
        return x[:, :width]
    return x[torch.tensor(rows), :width]


@dataclass(frozen=True)
class _Head:
    """How the log-probs come out of one model call: chunked from the LM head's input (`chunk_tokens`
    positions per block), or from its full logits (`chunk_tokens=None`)."""

    temperature: float
    with_entropy: bool
    chunk_tokens: int | None

    def token_logp(self, model: PreTrainedModel, select: _Select, response_ids: Tensor, **inputs: Any) -> _Part:
        """model(**inputs), then logp (and entropy) of `response_ids` at the LM-head positions `select` picks.

        Shapes: select: (b, K, X) -> (b, w, X); response_ids (b, w) -> logp, entropy (b, w).
        """
        chunk = self.chunk_tokens
        if chunk is None:
            return _token_logp(select(model(**inputs).logits), response_ids, self.temperature, self.with_entropy)

        def head(hidden: Tensor, weight: Tensor) -> Tensor:  # (b, K, H) -> (b, w, 1 or 2)
            lp, ent = chunked_token_logp(select(hidden), weight, response_ids, self.temperature, self.with_entropy,
                                         chunk)
            return torch.stack([lp] if ent is None else [lp, ent], -1)  # not a view: FSDP hooks what the model returns

        with _lm_head_replaced(model, head):
            out = model(**inputs).logits  # (b, w, 1 or 2): what `head` returned
        return out[..., 0], (out[..., 1] if self.with_entropy else None)

    def call(self, model: PreTrainedModel, **inputs: Any) -> Any:
        """model(**inputs); with chunks, its `.logits` are the LM head's input (the final hidden states)."""
        if self.chunk_tokens is None:
            return model(**inputs)
        with _lm_head_replaced(model, lambda hidden, weight: hidden.clone()):  # not a view, as above
            return model(**inputs)


def _plain_lm_head(model: PreTrainedModel) -> bool:
    """Whether the model's logits are exactly its output embedding's matmul (a bias-free `nn.Linear`, no
    soft-capping or logit scale after it), so the LM head can be replaced by the chunked computation."""
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    config = getattr(model, "config", None)
    after = [getattr(config, k, None) for k in ("final_logit_softcapping", "logit_scale")]
    return isinstance(head, nn.Linear) and head.bias is None and all(x in (None, 1.0) for x in after)


@contextmanager
def _lm_head_replaced(model: PreTrainedModel, fn: Callable[[Tensor, Tensor], Tensor]) -> Iterator[None]:
    """For the calls inside, the LM head returns fn(its input, its weight) instead of the logits.

    Why inside the model's own forward, not by calling the base model: under FSDP2 the root unit gathers the
    embeddings, final norm and LM head in its forward's pre-hook, and gathers them again for backward from
    hooks on that forward's outputs. In there `head.weight` is the full (unsharded) weight, and its gradient
    reaches FSDP's reduce-scatter as the LM head's own would; outside, it is a sharded DTensor.
    """
    head = model.get_output_embeddings()
    own = head.__dict__.get("forward")  # an instance-level forward already there (e.g. a hook library's)
    head.forward = lambda hidden: fn(hidden, head.weight)
    try:
        yield
    finally:
        if own is None:
            del head.forward
        else:
            head.forward = own


def _token_logp(logits: Tensor, response_ids: Tensor, temperature: float, with_entropy: bool) -> _Part:
    """Log-prob of each response token (and the entropy) from the logits that predict it. (b, w, V) -> (b, w)."""
    logits = logits.float()
    if temperature != 1.0:
        logits = logits / temperature
    logp = torch.log_softmax(logits, -1).gather(-1, response_ids.to(logits.device)[..., None]).squeeze(-1)
    return logp, (token_entropy(logits) if with_entropy else None)


def _logp(model: PreTrainedModel, prompts: list[list[int]], response_ids: Tensor, pad_id: int, head: _Head
          ) -> _Part:
    """One forward over the rows as given, each its prompt then its response. Shapes as `response_logp`.

    Rows are padded on the right only: real tokens never see a pad (they all come after), so the model runs
    with a plain causal mask and positions 0, 1, ... (no attention mask, the fast path of SDPA).
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
    at = ((p_len - lo)[:, None] + torch.arange(T)[None]).to(device)  # (B, T): row i's response from p_len_i - lo

    def select(x: Tensor) -> Tensor:  # (B, K, X) -> (B, T, X): kept position predicting each response token
        return x[torch.arange(B, device=device)[:, None], at] if hi > lo else x[:, :T]

    # The LM head runs only from the earliest position that predicts a response token (prompt end - 1).
    return head.token_logp(model, select, response_ids, input_ids=ids.to(device), position_ids=pos.to(device),
                           logits_to_keep=hi + T - lo + 1)


def _prompt_forward(model: PreTrainedModel, prompts: list[list[int]], pad_id: int, head: _Head
                    ) -> tuple[DynamicCache, Tensor, Tensor]:
    """One forward over distinct prompts, left-padded: their KV cache, the LM head's input (chunked head)
    or logits (full) at each prompt's last token, which predicts the first response token, and the padding
    mask. The LM head itself runs later, in `_after_prompts`.

    Shapes: U prompts -> cache layers (U, H_kv, L, D), last (U, H) or (U, V), mask (U, L) bool.
    """
    device = next(model.parameters()).device
    ids, mask = left_pad(prompts, pad_id)  # (U, L)
    padded = not bool(mask.all())  # prompts of one length need no attention mask
    pos = (mask.long().cumsum(-1) - 1).clamp(min=0)  # (U, L): positions ignore the left padding
    cache = DynamicCache()
    out = head.call(model, input_ids=ids.to(device), attention_mask=mask.long().to(device) if padded else None,
                    position_ids=pos.to(device), use_cache=True, logits_to_keep=1, **{cache_kwarg(model): cache})
    return cache, out.logits[:, -1], mask


def _after_prompts(model: PreTrainedModel, prompt: tuple[DynamicCache, Tensor, Tensor], which: list[int],
                   response_ids: Tensor, head: _Head) -> _Part:
    """One forward over responses, row i reading the cache of distinct prompt `which[i]`.

    Response token 0 is predicted from the prompt's last position, token t > 0 from response position
    t - 1, so the LM head skips each row's last position. Shapes: response_ids (b, w) -> logp, entropy (b, w).
    """
    cache, last, mask = prompt
    device = last.device
    b, w = response_ids.shape
    idx = torch.tensor(which, dtype=torch.long)  # (b,)
    padded = not bool(mask.all())
    attn = torch.cat([mask[idx], torch.ones(b, w, dtype=torch.bool)], 1).long().to(device) if padded else None
    pos = mask.sum(-1)[idx][:, None] + torch.arange(w)[None]  # (b, w): positions continue each prompt
    first = last[idx.to(device)][:, None]  # (b, 1, X): the prompt's last position, X = H or V

    def select(x: Tensor) -> Tensor:  # (b, w - 1, X) -> (b, w, X)
        return torch.cat([first, x], 1)

    return head.token_logp(model, select, response_ids, input_ids=response_ids.to(device), attention_mask=attn,
                           position_ids=pos.to(device), use_cache=True,
                           logits_to_keep=torch.arange(w - 1, device=device),
                           **{cache_kwarg(model): gather_cache(cache, idx.to(device))})
