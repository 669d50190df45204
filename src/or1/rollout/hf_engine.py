"""Rollout engine on plain `transformers` models: batched sampling with a KV cache, any device.

The loop is written out rather than calling `generate`, because the trainer needs each sampled token's
log-prob under π_old and a `truncated` flag, and because one forward per new token over a shared
cache is all a decoder needs.
"""

from __future__ import annotations

import inspect

import torch
from torch import Tensor
from transformers import DynamicCache, PreTrainedModel

from or1.rollout.sampling import sample_next
from or1.rollout.types import RolloutBatch, SamplingParams

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
    """

    def __init__(self, model: PreTrainedModel, eos_ids: list[int], pad_id: int, max_batch: int = 256):
        if not eos_ids:
            raise ValueError("HFEngine needs at least one EOS token id")
        self.model, self.pad_id, self.max_batch = model, pad_id, max_batch
        self.eos = torch.tensor(sorted(set(eos_ids)), dtype=torch.long)
        # transformers 5.2x renamed `past_key_values` to `cache`; accept both.
        params = inspect.signature(model.forward).parameters
        self._cache_arg = "cache" if "cache" in params else "past_key_values"

    def sync_weights(self) -> None:
        """Nothing to do: the engine samples from the trainer's own module."""

    def generate(self, prompt_ids: list[list[int]], params: SamplingParams, seed: int) -> RolloutBatch:
        """Sample `params.n` responses per prompt, grouped contiguously; deterministic given `seed`."""
        if params.n < 1 or params.max_tokens < 1:
            raise ValueError(f"need n >= 1 and max_tokens >= 1, got n={params.n}, max_tokens={params.max_tokens}")
        rows = [p for p in prompt_ids for _ in range(params.n)]  # N = P·G, groups contiguous
        gen = torch.Generator().manual_seed(seed)
        was_training = self.model.training
        self.model.eval()
        try:
            chunks = [self._decode(rows[i : i + self.max_batch], params, gen)
                      for i in range(0, len(rows), self.max_batch)]
        finally:
            self.model.train(was_training)
        width = max(c[0].shape[1] for c in chunks)
        pad = lambda t, v: torch.nn.functional.pad(t, (0, width - t.shape[1]), value=v)  # noqa: E731
        return RolloutBatch(
            prompt_ids=[list(p) for p in prompt_ids],
            response_ids=torch.cat([pad(c[0], self.pad_id) for c in chunks]),
            resp_mask=torch.cat([pad(c[1], False) for c in chunks]),
            old_logp=torch.cat([pad(c[2], 0.0) for c in chunks]),
            truncated=torch.cat([c[3] for c in chunks]),
            group_size=params.n,
        )

    @torch.inference_mode()
    def _decode(self, rows: list[list[int]], p: SamplingParams, gen: torch.Generator):
        device = next(self.model.parameters()).device
        ids, mask = left_pad(rows, self.pad_id)
        ids, mask = ids.to(device), mask.to(device)
        eos = self.eos.to(device)
        B = ids.shape[0]
        pos = (mask.long().cumsum(-1) - 1).clamp(min=0)  # (B, L) positions ignore left padding
        cache = DynamicCache()
        out = self.model(input_ids=ids, attention_mask=mask.long(), position_ids=pos, use_cache=True,
                         logits_to_keep=1, **{self._cache_arg: cache})
        next_pos = pos[:, -1:] + 1  # (B, 1)
        tokens, logps, alive_steps = [], [], []
        alive = torch.ones(B, dtype=torch.bool, device=device)
        for t in range(p.max_tokens):
            tok, lp = sample_next(out.logits[:, -1].cpu(), p.temperature, p.top_p, gen)  # (B,), (B,)
            tok = tok.to(device)
            alive_steps.append(alive.clone())
            tokens.append(torch.where(alive, tok, self.pad_id))
            logps.append(torch.where(alive, lp.to(device), 0.0))
            alive = alive & ~torch.isin(tok, eos)
            if not alive.any() or t == p.max_tokens - 1:
                break
            mask = torch.cat([mask, torch.ones(B, 1, dtype=torch.bool, device=device)], dim=1)
            out = self.model(input_ids=tokens[-1][:, None], attention_mask=mask.long(), position_ids=next_pos,
                             use_cache=True, **{self._cache_arg: cache})
            next_pos = next_pos + 1
        resp_mask = torch.stack(alive_steps, 1)  # (B, T) True up to and including EOS
        return (torch.stack(tokens, 1).cpu(), resp_mask.cpu(), torch.stack(logps, 1).float().cpu(), alive.cpu())
