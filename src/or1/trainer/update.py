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
from or1.trainer.collect import StepBatch
from or1.trainer.forward import response_logp

__all__ = ["policy_update", "recompute_old_logp"]


@torch.no_grad()
def recompute_old_logp(model: PreTrainedModel, batch: StepBatch, temperature: float, pad_id: int,
                       micro_batch_size: int) -> torch.Tensor:
    """π_old from the trainer's own forward (bitwise the first mini-batch's π_θ): ratio starts at 1."""
    parts = []
    for s in range(0, batch.rewards.numel(), micro_batch_size):
        sl = slice(s, s + micro_batch_size)
        lp, _ = response_logp(model, batch.prompts[sl], batch.response_ids[sl], batch.resp_mask[sl],
                              temperature, pad_id)
        parts.append(lp.cpu())
    return torch.cat(parts) * batch.resp_mask  # (N, T)


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
) -> dict[str, float]:
    """PPO-clip updates over the batch, N_SGD = ceil(groups / mini_batch_groups) optimiser steps.

    Each mini-batch's loss is the token mean over all of its response tokens (`token_mean` with the
    mini-batch's token count, summed over micro-batches), minus entropy_coef × the token-mean entropy.

    Data parallel: each rank passes its share of every mini-batch (`or1.distributed.local_groups`) and
    `global_sum` (sums a tensor over ranks; None = one process). Token counts and stats are then global:
    each rank backpropagates its part of the global token mean, and FSDP sums (`wrap_model`) the parts.

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
        rows = slice(first * g, min(batch.num_groups, first + mini_batch_groups) * g)
        n_tok = int(_sum(loss_mask[rows].sum(), global_sum))  # over micro-batches and ranks
        if n_tok == 0:  # every response of this mini-batch masked out (same decision on every rank)
            continue
        optimizer.zero_grad(set_to_none=True)
        for s in range(rows.start, rows.stop, algo.micro_batch_size):
            mb = slice(s, min(s + algo.micro_batch_size, rows.stop))
            m = loss_mask[mb]
            logp, ent = response_logp(model, batch.prompts[mb], batch.response_ids[mb], batch.resp_mask[mb],
                                      temperature, pad_id, with_entropy=True)
            out = clipped_surrogate(logp, batch.old_logp[mb], to_tokens(adv[mb], m), m, algo.clip_low,
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


def _sum(x: torch.Tensor, global_sum: Callable[[torch.Tensor], torch.Tensor] | None) -> torch.Tensor:
    return x if global_sum is None else global_sum(x)


def _sum_stats(stats: dict[str, float], global_sum: Callable[[torch.Tensor], torch.Tensor] | None
               ) -> dict[str, float]:
    """Per-rank sums of token-mean shares -> global values, in one collective (same keys on every rank)."""
    if global_sum is None or not stats:
        return stats
    keys = sorted(stats)
    total = global_sum(torch.tensor([stats[k] for k in keys], dtype=torch.float64))  # (K,)
    return dict(zip(keys, total.tolist(), strict=True))
