"""Rollout engine on plain `transformers` models: batched sampling with a KV cache, any device.

The loop is written out rather than calling `generate`, because the trainer needs each sampled token's
log-prob under π_old and a `truncated` flag, and because one forward per new token over a shared
cache is all a decoder needs.
"""

from __future__ import annotations

import contextlib
from typing import cast

import torch
from torch import Tensor
from transformers import DynamicCache, PreTrainedModel

from or1.rollout.kv_cache import cache_kwarg, distinct
from or1.rollout.sampling import sample_next
from or1.rollout.types import RolloutBatch, SamplingParams, pad_cat

__all__ = ["HFEngine", "left_pad"]


def left_pad(seqs: list[list[int]], pad_id: int) -> tuple[Tensor, Tensor]:
    """Left-pad token lists into a batch.

    Shapes: -> ids (B, L) long, mask (B, L) bool (True on real tokens).
    """
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.bool)
    for i, s in enumerate(seqs):
        if s:
            ids[i, width - len(s) :] = torch.tensor(s, dtype=torch.long)
            mask[i, width - len(s) :] = True
    return ids, mask


class HFEngine:
    """Samples from a `transformers` causal LM that it shares with the trainer (no weight copy needed).

    Args:
        model: the policy; sampled in eval mode under `torch.inference_mode`.
        eos_ids: token ids that end a response (e.g. `<|im_end|>`, `<|endoftext|>`).
        pad_id: id written after a response ends.
        max_batch: responses decoded together; larger batches are processed in chunks of this size.
        autocast_dtype: sample under `torch.autocast` to this dtype: bf16 when the trainer computes in bf16 on
            fp32 master weights in one process (`distributed.mixed_precision`), so that the rollout's log-probs
            (π_old, unless recomputed) come from the precision the update computes in.
    """

    def __init__(self, model: PreTrainedModel, eos_ids: list[int], pad_id: int, max_batch: int = 256,
                 autocast_dtype: torch.dtype | None = None):
        if not eos_ids:
            raise ValueError("HFEngine needs at least one EOS token id")
        self.model, self.pad_id, self.max_batch = model, pad_id, max_batch
        self.autocast_dtype = autocast_dtype
        self.eos = torch.tensor(sorted(set(eos_ids)), dtype=torch.long)
        self._cache_arg = cache_kwarg(model)  # transformers 5.2x renamed `past_key_values` to `cache`

    def sync_weights(self) -> None:
        """Nothing to do: the engine samples from the trainer's own module."""

    def close(self) -> None:
        """Nothing to release: the module belongs to the caller."""

    def generate(self, prompt_ids: list[list[int]], params: SamplingParams, seed: int) -> RolloutBatch:
        """Sample `params.n` responses per prompt, grouped contiguously; deterministic given `seed`."""
        if params.n < 1 or params.max_tokens < 1:
            raise ValueError(f"need n >= 1 and max_tokens >= 1, got n={params.n}, max_tokens={params.max_tokens}")
        rows = [p for p in prompt_ids for _ in range(params.n)]  # N = P·G, groups contiguous
        gen = torch.Generator().manual_seed(seed)
        was_training = self.model.training
        self.model.eval()
        device = next(self.model.parameters()).device
        cast = torch.autocast(device.type, dtype=self.autocast_dtype) if self.autocast_dtype is not None \
            else contextlib.nullcontext()
        try:
            with cast:
                chunks = [self._decode(rows[i : i + self.max_batch], params, gen)
                          for i in range(0, len(rows), self.max_batch)]
        finally:
            self.model.train(was_training)
        return RolloutBatch(
            prompt_ids=[list(p) for p in prompt_ids],
            response_ids=pad_cat([c[0] for c in chunks], self.pad_id),
            resp_mask=pad_cat([c[1] for c in chunks], False),
            old_logp=pad_cat([c[2] for c in chunks], 0.0),
            truncated=torch.cat([c[3] for c in chunks]),
            group_size=params.n,
        )

    @torch.inference_mode()
    def _decode(self, rows: list[list[int]], p: SamplingParams, gen: torch.Generator
                ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Sample one response per row. Savings over a plain loop (all exact, up to float rounding):

        - each distinct prompt is prefilled once and its cache shared by its group's rows;
        - rows that emitted EOS leave the batch (their cache rows are dropped) once they are a sixteenth of it,
          so a few long responses do not keep every finished one computing;
        - prompts of one length (no left padding) run without an attention mask (SDPA's causal fast path).
        """
        device = next(self.model.parameters()).device
        B, T = len(rows), p.max_tokens
        uniq, inverse = distinct(rows)
        ids, mask = left_pad(uniq, self.pad_id)  # (U, L)
        ids, mask = ids.to(device), mask.to(device)
        pos = (mask.long().cumsum(-1) - 1).clamp(min=0)  # (U, L) positions ignore left padding
        padded = not bool(mask.all())  # without left padding the causal mask is all a row needs
        cache = DynamicCache()
        out = self.model(input_ids=ids, attention_mask=mask.long() if padded else None, position_ids=pos,
                         use_cache=True, logits_to_keep=1, **{self._cache_arg: cache})
        inv = torch.tensor(inverse, dtype=torch.long, device=device)  # (B,) row -> its distinct prompt
        if len(uniq) < B:
            cache.reorder_cache(cast(torch.LongTensor, inv))  # a long tensor; transformers types it so
        logits = out.logits[inv, -1]  # (B, V)
        L = mask.shape[1]
        # The attention mask for the whole decode, written once: prompt part, then ones (a slice per step).
        attn = torch.ones(B, L + T, dtype=torch.long, device=device)  # (b, L + T) for the b rows still decoding
        attn[:, :L] = mask[inv].long()
        next_pos = pos[inv, -1:] + 1  # (b, 1)
        eos = self.eos.to(device)
        # Every row still in the batch writes its token each step, also after its EOS; `_cut` keeps what
        # comes up to the first EOS. Rows leave the batch only after their EOS, so that EOS is always written.
        tokens = torch.full((B, T), self.pad_id, dtype=torch.long, device=device)
        logps = torch.zeros(B, T, dtype=torch.float32, device=device)
        row = torch.arange(B, device=device)  # (b,) original row of each row still in the batch
        alive = torch.ones(B, dtype=torch.bool, device=device)  # (b,) no EOS yet
        for t in range(T):
            tok, lp = sample_next(logits.cpu(), p.temperature, p.top_p, gen)  # (b,), (b,); CPU generator
            tok = tok.to(device)
            tokens[row, t], logps[row, t] = tok, lp.to(device)
            alive &= ~torch.isin(tok, eos)
            n_alive = int(alive.sum())
            if n_alive == 0 or t == T - 1:
                break
            if (alive.numel() - n_alive) * 16 >= alive.numel():  # drop ended rows from the batch
                keep = alive.nonzero().squeeze(1)  # (b',)
                cache.reorder_cache(cast(torch.LongTensor, keep))
                row, tok, attn, next_pos, alive = row[keep], tok[keep], attn[keep], next_pos[keep], alive[keep]
            out = self.model(input_ids=tok[:, None], attention_mask=attn[:, : L + t + 1] if padded else None,
                             position_ids=next_pos, use_cache=True, **{self._cache_arg: cache})
            logits = out.logits[:, -1]
            next_pos = next_pos + 1
        return _cut(tokens, logps, eos, self.pad_id)


def _cut(tokens: Tensor, logps: Tensor, eos: Tensor, pad_id: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Responses up to and including their first EOS (all T tokens without one); pad / 0 after.

    Shapes: tokens, logps (B, T) -> tokens (B, W), resp_mask (B, W), logps (B, W), truncated (B,), with W the
    longest response.
    """
    T = tokens.shape[1]
    is_eos = torch.isin(tokens, eos)  # (B, T)
    truncated = ~is_eos.any(1)  # (B,)
    lengths = torch.where(truncated, T, is_eos.int().argmax(1) + 1)  # (B,)
    width = int(lengths.max())
    resp_mask = torch.arange(width, device=tokens.device)[None] < lengths[:, None]  # (B, W)
    tokens = torch.where(resp_mask, tokens[:, :width], pad_id)
    logps = torch.where(resp_mask, logps[:, :width], 0.0)
    return tokens.cpu(), resp_mask.cpu(), logps.cpu(), truncated.cpu()

