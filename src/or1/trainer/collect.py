"""Rollouts for one training step: sample groups, score them, keep informative ones, refill (DESIGN.md §1)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable

import torch
from transformers import PreTrainedTokenizerBase

from or1.algo.filtering import informative_groups
from or1.algo.stages import Stage
from or1.problems.schema import Problem
from or1.rewards.registry import RewardScorer
from or1.rollout.types import RolloutBatch, RolloutEngine, SamplingParams, cat_batches
from or1.sampling import generate_and_score
from or1.trainer.prompt_sampler import PromptSampler
from or1.trainer.samples_log import ScoredRollouts

__all__ = ["STATUSES", "collect_groups"]

# Verifier statuses every step logs a fraction of (rewards/types.py); others appear when they occur.
STATUSES = ("ok", "wrong", "unfinished", "no_answer", "timeout", "error")


def _refill_size(batch_size: int, n_kept: int, n_sampled: int) -> int:
    """Prompts to sample next: the whole batch first, then enough for the missing groups at the kept rate
    seen so far (with a 25% margin), never more than a batch."""
    if n_sampled == 0:
        return batch_size
    rate = max(n_kept / n_sampled, 1.0 / batch_size)
    return min(batch_size, math.ceil(1.25 * (batch_size - n_kept) / rate))


def collect_groups(
    engine: RolloutEngine,
    tokenizer: PreTrainedTokenizerBase,
    registry: RewardScorer,
    problems: list[Problem],
    prompt_ids: list[list[int]],
    sampler: PromptSampler,
    stage: Stage,
    *,
    top_p: float,
    seed: int,
    online_filter: bool,
    max_refills: int,
    on_first_try: Callable[[ScoredRollouts], None] | None = None,
) -> tuple[RolloutBatch | None, dict[str, float]]:
    """Sample `stage.batch_size` prompts × G responses, score, and keep informative groups.

    With `online_filter`, groups whose rewards are all equal are dropped and more prompts are sampled
    (up to `max_refills` refills, DAPO-style dynamic sampling, each sized by the kept rate so far) until
    `batch_size` groups are kept; the surplus is trimmed in whole groups. The original dropped without
    refilling and could split a group. Try t samples with seed `seed + t`, so a step's rollouts depend only
    on (seed, step, model).

    `on_first_try`, when given, receives the first try's scored responses (texts and verdicts, for the
    samples log).

    Returns:
        (batch of at most `batch_size` groups, or None when no group was informative; stats of the first
        try's rollouts, which measure the current policy).
    """
    params = SamplingParams(n=stage.group_size, temperature=stage.temperature, top_p=top_p,
                            max_tokens=stage.max_response_length)
    kept: list[RolloutBatch] = []
    n_kept, n_sampled, stats = 0, 0, {}
    for attempt in range(1 + (max_refills if online_filter else 0)):
        idx = sampler.next(_refill_size(stage.batch_size, n_kept, n_sampled))
        n_sampled += len(idx)
        batch, step_stats, scored = _rollout_and_score(engine, tokenizer, registry, problems, prompt_ids, idx,
                                                       params, seed + attempt)
        if attempt == 0 and on_first_try is not None:
            on_first_try(scored)
        useful = informative_groups(batch.scored(), stage.group_size) if online_filter else \
            torch.ones(len(idx), dtype=torch.bool)
        if attempt == 0:
            stats = step_stats | {"filter/kept_frac": useful.float().mean().item()}
        take = useful.nonzero().flatten().tolist()[: stage.batch_size - n_kept]
        if take:
            kept.append(batch.groups(take))
            n_kept += len(take)
        if n_kept >= stage.batch_size:
            break
    stats["filter/tries"] = float(attempt + 1)
    stats["filter/groups"] = float(n_kept)
    return (cat_batches(kept, _pad_id(tokenizer)) if kept else None), stats


def _rollout_and_score(engine: RolloutEngine, tokenizer: PreTrainedTokenizerBase, registry: RewardScorer,
                       problems: list[Problem], prompt_ids: list[list[int]], idx: list[int],
                       params: SamplingParams, seed: int) -> tuple[RolloutBatch, dict[str, float], ScoredRollouts]:
    """G responses for each prompt in `idx`, scored: the batch, rollout statistics, and the texts with their
    verdicts.

    `reward/status/<status>` is the fraction of responses with each verifier status; the shared statuses
    (`STATUSES`) are always logged, 0 when absent, so their curves have no gaps.
    """
    rb, texts, results = generate_and_score(engine, tokenizer, registry, [prompt_ids[i] for i in idx],
                                            [problems[i] for i in idx], params, seed)
    rewards = rb.scored()  # (N,)
    counts = Counter(r.status for r in results)
    status = {f"reward/status/{k}": counts.get(k, 0) / len(results) for k in sorted(set(STATUSES) | set(counts))}
    scored = ScoredRollouts(list(idx), texts, results, rb.lengths.tolist(), rb.truncated.tolist(), params.n)
    return rb, {
        "reward/mean": rewards.mean().item(),
        "rollout/len_mean": rb.lengths.float().mean().item(),
        "rollout/len_max": rb.lengths.max().item(),
        "rollout/truncated_frac": rb.truncated.float().mean().item(),
        "reward/timeouts": float(sum(r.status == "timeout" for r in results)),
        **status,
    }, scored


def _pad_id(tokenizer: PreTrainedTokenizerBase) -> int:
    """The padding id of the kept groups' concatenation; padding is never read (masked everywhere)."""
    return tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
