"""Supervised warm start on reference responses (the tiny world's stand-in for distillation, DESIGN.md §6)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from or1.problems.schema import Problem
from or1.rollout.prompts import encode_prompt
from or1.trainer.forward import response_logp

__all__ = ["sft"]


def _encode(tokenizer: PreTrainedTokenizerBase, problems: Sequence[Problem]) -> list[tuple[list[int], list[int]]]:
    pairs = []
    for p in problems:
        ref = p.extra_info.get("reference")
        if not isinstance(ref, str):
            raise ValueError(f"problem {p.uid} has no extra_info.reference response to fine-tune on")
        resp = tokenizer(ref, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        pairs.append((encode_prompt(tokenizer, p.prompt), resp))
    return pairs


def sft(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    problems: Sequence[Problem],
    *,
    max_steps: int,
    batch_size: int = 64,
    lr: float = 1e-3,
    warmup: int = 50,
    seed: int = 0,
    check_every: int = 0,
    should_stop: Callable[[int, float], bool] | None = None,
) -> list[float]:
    """Fine-tune on each problem's `extra_info.reference` response (loss on response tokens, EOS included).

    The learning rate warms up linearly over `warmup` steps, then stays constant. Batches are drawn with
    replacement from a generator seeded by `seed`. Every `check_every` steps, `should_stop(step, loss)` may
    end training early (the demo stops once the model is partly right).

    Returns:
        the per-step losses (as many as steps were run).
    """
    pairs = _encode(tokenizer, problems)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / max(warmup, 1)))
    gen = torch.Generator().manual_seed(seed)
    losses: list[float] = []
    for step in range(1, max_steps + 1):
        model.train()
        idx = torch.randint(len(pairs), (batch_size,), generator=gen).tolist()
        width = max(len(pairs[i][1]) for i in idx)
        resp = torch.full((batch_size, width), tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros((batch_size, width), dtype=torch.bool)
        for row, i in enumerate(idx):
            r = pairs[i][1]
            resp[row, : len(r)], mask[row, : len(r)] = torch.tensor(r), True
        logp, _ = response_logp(model, [pairs[i][0] for i in idx], resp, mask, 1.0, tokenizer.pad_token_id)
        loss = -(logp * mask).sum() / mask.sum()  # token-level NLL over the batch
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(loss.item())
        if should_stop is not None and check_every and step % check_every == 0 and should_stop(step, losses[-1]):
            break
    return losses
