"""One policy update on a step's batch: the planned mini- and micro-batches (`microbatch.plan_update`), each
micro-batch's share of the objective (`algo/objective.py`), one optimiser step per mini-batch."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor
from transformers import PreTrainedModel

from or1.algo.advantage import group_advantages, to_tokens
from or1.algo.objective import objective
from or1.algo.policy_loss import clipped_surrogate
from or1.algo.truncation import mask_truncated
from or1.config import AlgoConfig
from or1.distributed.precision import compute_context
from or1.rollout.types import RolloutBatch
from or1.trainer.forward import response_logp
from or1.trainer.microbatch import plan_micro_batches, plan_update

__all__ = ["algo_numbers", "policy_update", "recompute_old_logp"]


@torch.no_grad()
def recompute_old_logp(model: PreTrainedModel, batch: RolloutBatch, temperature: float, pad_id: int,
                       micro_batch_size: int, micro_batch_tokens: int | None = None) -> Tensor:
    """π_old from the trainer's own forward (bitwise the first mini-batch's π_θ): ratio starts at 1.

    Under FSDP every rank computes the whole batch (the same forwards on every rank, as FSDP needs). The
    forwards run in the model's training precision (`compute_context`), as `policy_update`'s do.
    """
    prompts = batch.row_prompts()
    out = torch.zeros(batch.resp_mask.shape, dtype=torch.float32)  # (N, T)
    for mb in plan_micro_batches(_row_lengths(batch, prompts), micro_batch_size, micro_batch_tokens):
        sl, width = _cols(batch, mb)
        with compute_context(model):
            lp, _ = response_logp(model, prompts[sl], batch.response_ids[sl, :width], batch.resp_mask[sl, :width],
                                  temperature, pad_id)
        out[sl, :width] = lp.cpu()
    return out * batch.resp_mask


def algo_numbers(algo: AlgoConfig) -> dict[str, Any]:
    """The numbers `policy_update` takes from `algo.*`, by keyword (the update itself reads no config)."""
    return {"clip_low": algo.clip_low, "clip_high": algo.clip_high, "adv_eps": algo.adv_eps,
            "mask_truncated_responses": algo.mask_truncated, "grad_clip": algo.grad_clip,
            "micro_batch_size": algo.micro_batch_size, "micro_batch_tokens": algo.micro_batch_tokens}


def policy_update(
    model: PreTrainedModel,
    optimizer: torch.optim.Optimizer,
    batch: RolloutBatch,
    *,
    mini_batch_groups: int,
    clip_low: float,
    clip_high: float,
    adv_eps: float,
    mask_truncated_responses: bool,
    grad_clip: float,
    micro_batch_size: int,
    micro_batch_tokens: int | None,
    temperature: float,
    entropy_coef: float,
    pad_id: int,
    global_sum: Callable[[Tensor], Tensor] | None = None,
    rank: int = 0,
    world_size: int = 1,
    token_weight: Tensor | None = None,
) -> dict[str, float]:
    """PPO-clip updates over the scored batch, N_SGD = ceil(groups / mini_batch_groups) optimiser steps.

    Each mini-batch minimises `objective`: the token mean of the clipped surrogate over all of its response
    tokens minus entropy_coef × the token-mean entropy, with advantages `group_advantages(rewards, G,
    adv_eps)` and, with `mask_truncated_responses`, truncated responses left out of the loss. Micro-batches
    (at most `micro_batch_size` rows and `micro_batch_tokens` padded tokens) only bound memory and never
    change the result; gradients are clipped to `grad_clip` before each step. `token_weight` (N, T), when
    given, multiplies each token's surrogate loss (the truncated importance weights of `algo/importance.py`).

    Data parallel (FSDP): every rank passes the whole step batch, its `rank` and the `world_size`, and
    `global_sum` (sums a tensor over ranks). Each rank trains on its share of every mini-batch's groups
    (`plan_update`) and backpropagates its part of the mini-batch's global token mean; FSDP sums the parts
    (`wrap_model`), which is exactly the one-process gradient. Ranks with fewer micro-batches than the
    busiest rank run padding ones (zero loss) so every rank makes the same collectives.

    Precision: the forwards run under `compute_context(model)` (bf16 autocast under one-process mixed
    precision, see `wrap_model`); log-probs, the loss, the gradients and the optimiser step are fp32.

    Returns:
        mean over mini-batches of loss/policy, loss/entropy_bonus, entropy/policy (token entropy of π_θ),
        clip/frac, ratio/mean and grad/norm; update/steps.
    """
    prompts = batch.row_prompts()
    adv = group_advantages(batch.scored(), batch.group_size, adv_eps)  # (N,)
    loss_mask = mask_truncated(batch.resp_mask, batch.truncated) if mask_truncated_responses else batch.resp_mask
    plan = plan_update(_row_lengths(batch, prompts), batch.group_size, mini_batch_groups, max_rows=micro_batch_size,
                       max_tokens=micro_batch_tokens, rank=rank, world_size=world_size)
    sums: dict[str, float] = defaultdict(float)
    n_updates = 0
    for mini in plan:
        n_tok = int(loss_mask[mini.rows.start : mini.rows.stop].sum())  # the whole mini-batch, over all ranks
        if n_tok == 0:  # every response of this mini-batch masked out (same decision on every rank)
            continue
        optimizer.zero_grad(set_to_none=True)
        for mb in mini.micro:
            rows = mb if mb is not None else range(mini.rows.start, mini.rows.start + 1)  # padding: one row
            sl, width = _cols(batch, rows)
            m = loss_mask[sl, :width] if mb is not None else torch.zeros_like(loss_mask[sl, :width])
            with compute_context(model):  # the forward only: autocast records the casts for backward
                logp, ent = response_logp(model, prompts[sl], batch.response_ids[sl, :width],
                                          batch.resp_mask[sl, :width], temperature, pad_id, with_entropy=True)
            out = clipped_surrogate(logp, batch.old_logp[sl, :width], to_tokens(adv[sl], m), m, clip_low, clip_high)
            assert ent is not None
            per_token = out.per_token if token_weight is None else out.per_token * token_weight[sl, :width]
            obj = objective(per_token, ent, m, n_tok, entropy_coef)
            obj.loss.backward()
            sums["loss/policy"] += obj.policy.item()
            sums["entropy/policy"] += obj.entropy.item()
            sums["clip/frac"] += out.clipped.sum().item() / n_tok
            sums["ratio/mean"] += (out.ratio * m).sum().item() / n_tok
        sums["grad/norm"] += torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip).item()
        optimizer.step()
        n_updates += 1
    sums |= _sum_stats({k: v for k, v in sums.items() if k != "grad/norm"}, global_sum)  # norm is global
    stats = {k: v / max(n_updates, 1) for k, v in sums.items()}
    stats["loss/entropy_bonus"] = entropy_coef * stats.get("entropy/policy", 0.0)
    stats["update/steps"] = float(n_updates)
    return stats


def _row_lengths(batch: RolloutBatch, prompts: list[list[int]]) -> list[int]:
    """Prompt + response tokens of each row."""
    return [len(p) + int(n) for p, n in zip(prompts, batch.lengths.tolist(), strict=True)]


def _cols(batch: RolloutBatch, rows: range) -> tuple[slice, int]:
    """Row slice of a micro-batch and its response width (its longest response, at least one column)."""
    sl = slice(rows.start, rows.stop)
    return sl, max(int(batch.resp_mask[sl].sum(-1).max()), 1)


def _sum_stats(stats: dict[str, float], global_sum: Callable[[Tensor], Tensor] | None) -> dict[str, float]:
    """Per-rank sums of token-mean shares -> global values, in one collective (same keys on every rank)."""
    if global_sum is None or not stats:
        return stats
    keys = sorted(stats)
    total = global_sum(torch.tensor([stats[k] for k in keys], dtype=torch.float64))  # (K,)
    return dict(zip(keys, total.tolist(), strict=True))
