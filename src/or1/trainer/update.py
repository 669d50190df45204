"""One policy update on a step's batch: mini-batches of whole groups, micro-batched forward/backward."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import torch
from transformers import PreTrainedModel

from or1.algo.advantage import group_advantages, to_tokens
from or1.algo.policy_loss import clipped_surrogate, token_mean
from or1.algo.truncation import mask_truncated
from or1.config import AlgoConfig
from or1.distributed.precision import compute_context
from or1.distributed.sharding import rank_share
from or1.trainer.collect import StepBatch
from or1.trainer.forward import response_logp
from or1.trainer.microbatch import plan_micro_batches

__all__ = ["policy_update", "recompute_old_logp"]


@torch.no_grad()
def recompute_old_logp(model: PreTrainedModel, batch: StepBatch, temperature: float, pad_id: int,
                       micro_batch_size: int, micro_batch_tokens: int | None = None) -> torch.Tensor:
    """π_old from the trainer's own forward (bitwise the first mini-batch's π_θ): ratio starts at 1.

    Under FSDP every rank computes the whole batch (the same forwards on every rank, as FSDP needs). The
    forwards run in the model's training precision (`compute_context`), as `policy_update`'s do.
    """
    out = torch.zeros(batch.resp_mask.shape, dtype=torch.float32)  # (N, T)
    for mb in plan_micro_batches(_row_lengths(batch, range(batch.rewards.numel())), micro_batch_size,
                                 micro_batch_tokens):
        sl, width = _cols(batch, mb)
        with compute_context(model):
            lp, _ = response_logp(model, batch.prompts[sl], batch.response_ids[sl, :width],
                                  batch.resp_mask[sl, :width], temperature, pad_id)
        out[sl, :width] = lp.cpu()
    return out * batch.resp_mask


def policy_update(
    model: PreTrainedModel,
    optimizer: torch.optim.Optimizer,
    batch: StepBatch,
    *,
    mini_batch_groups: int,
    algo: AlgoConfig,
    temperature: float,
    entropy_coef: float,
    pad_id: int,
    global_sum: Callable[[torch.Tensor], torch.Tensor] | None = None,
    rank: int = 0,
    world_size: int = 1,
) -> dict[str, float]:
    """PPO-clip updates over the batch, N_SGD = ceil(groups / mini_batch_groups) optimiser steps.

    Each mini-batch's loss is the token mean over all of its response tokens (`token_mean` with the
    mini-batch's token count, summed over micro-batches), minus entropy_coef × the token-mean entropy.
    Micro-batches hold at most `algo.micro_batch_size` rows and, with `algo.micro_batch_tokens`, at most
    that many padded tokens; they only bound memory and never change the result.

    Data parallel (FSDP): every rank passes the whole step batch, its `rank` and the `world_size`, and
    `global_sum` (sums a tensor over ranks). Each rank trains on its share of every mini-batch's groups
    (`rank_share`) and backpropagates its part of the mini-batch's global token mean; FSDP sums the parts
    (`wrap_model`), which is exactly the one-process gradient. Ranks with fewer micro-batches than the
    busiest rank run empty ones (zero loss) so every rank makes the same collectives.

    Precision: the forwards run under `compute_context(model)` (bf16 autocast under one-process mixed
    precision, see `wrap_model`); log-probs, the loss, the gradients and the optimiser step are fp32.

    Returns:
        mean over mini-batches of loss/policy, loss/entropy_bonus, entropy/policy (token entropy of π_θ),
        clip/frac, ratio/mean and grad/norm.
    """
    adv = group_advantages(batch.rewards, batch.group_size, algo.adv_eps)  # (N,)
    loss_mask = mask_truncated(batch.resp_mask, batch.truncated) if algo.mask_truncated else batch.resp_mask
    g = batch.group_size
    sums: dict[str, float] = defaultdict(float)
    n_updates = 0
    for first in range(0, batch.num_groups, mini_batch_groups):
        stop = min(batch.num_groups, first + mini_batch_groups)
        n_tok = int(loss_mask[first * g : stop * g].sum())  # the whole mini-batch, over all ranks
        if n_tok == 0:  # every response of this mini-batch masked out (same decision on every rank)
            continue
        plans = []
        for r in range(world_size):  # every rank's plan, to know how many micro-batches the busiest runs
            share = rank_share(first, stop, r, world_size)
            rows = range(share.start * g, share.stop * g)
            plans.append([range(rows.start + mb.start, rows.start + mb.stop) for mb in plan_micro_batches(
                _row_lengths(batch, rows), algo.micro_batch_size, algo.micro_batch_tokens)])
        mine = plans[rank]
        optimizer.zero_grad(set_to_none=True)
        for i in range(max(len(p) for p in plans)):
            empty = i >= len(mine)  # a padding micro-batch: one row, no tokens counted
            mb = range(first * g, first * g + 1) if empty else mine[i]
            sl, width = _cols(batch, mb)
            m = loss_mask[sl, :width] if not empty else torch.zeros_like(loss_mask[sl, :width])
            with compute_context(model):  # the forward only: autocast records the casts for backward
                logp, ent = response_logp(model, batch.prompts[sl], batch.response_ids[sl, :width],
                                          batch.resp_mask[sl, :width], temperature, pad_id, with_entropy=True)
            out = clipped_surrogate(logp, batch.old_logp[sl, :width], to_tokens(adv[sl], m), m, algo.clip_low,
                                    algo.clip_high)
            policy_loss = token_mean(out.per_token, m, n_tok)
            entropy = token_mean(ent, m, n_tok)  # type: ignore[arg-type]
            loss = policy_loss - entropy_coef * entropy if entropy_coef > 0 else policy_loss
            loss.backward()
            sums["loss/policy"] += policy_loss.item()
            sums["entropy/policy"] += entropy.item()
            sums["clip/frac"] += out.clipped.sum().item() / n_tok
            sums["ratio/mean"] += (out.ratio * m).sum().item() / n_tok
        sums["grad/norm"] += torch.nn.utils.clip_grad_norm_(model.parameters(), algo.grad_clip).item()
        optimizer.step()
        n_updates += 1
    sums |= _sum_stats({k: v for k, v in sums.items() if k != "grad/norm"}, global_sum)  # norm is global
    stats = {k: v / max(n_updates, 1) for k, v in sums.items()}
    stats["loss/entropy_bonus"] = entropy_coef * stats.get("entropy/policy", 0.0)
    stats["update/steps"] = float(n_updates)
    return stats


def _row_lengths(batch: StepBatch, rows: range) -> list[int]:
    """Prompt + response tokens of each row."""
    resp = batch.resp_mask[rows.start : rows.stop].sum(-1).tolist()
    return [len(batch.prompts[i]) + int(n) for i, n in zip(rows, resp, strict=True)]


def _cols(batch: StepBatch, rows: range) -> tuple[slice, int]:
    """Row slice of a micro-batch and its response width (its longest response, at least one column)."""
    sl = slice(rows.start, rows.stop)
    return sl, max(int(batch.resp_mask[sl].sum(-1).max()), 1)


def _sum_stats(stats: dict[str, float], global_sum: Callable[[torch.Tensor], torch.Tensor] | None
               ) -> dict[str, float]:
    """Per-rank sums of token-mean shares -> global values, in one collective (same keys on every rank)."""
    if global_sum is None or not stats:
        return stats
    keys = sorted(stats)
    total = global_sum(torch.tensor([stats[k] for k in keys], dtype=torch.float64))  # (K,)
    return dict(zip(keys, total.tolist(), strict=True))
