"""Building what a run needs: optimiser, rollout engine, verifiers, data (the policy: `or1/policy.py`)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from or1.config import AlgoConfig, RayConfig, RewardConfig, RolloutConfig
from or1.distributed.precision import warn_if_updates_round_away
from or1.problems.schema import DataError, Problem, load_problems
from or1.rewards.pool import PoolPolicy, set_default_policy
from or1.rewards.registry import RewardRegistry, default_registry
from or1.rollout.prompts import encode_prompt, eos_token_ids
from or1.rollout.types import RolloutEngine
from or1.trainer.data_checks import bare_template_length, why_unpayable

if TYPE_CHECKING:
    from or1.distributed.ray_rewards import RayRewardRegistry

__all__ = ["build_engine", "build_optimizer", "build_scorer", "load_data"]

log = logging.getLogger(__name__)

def build_optimizer(model: PreTrainedModel, algo: AlgoConfig) -> torch.optim.Optimizer:
    """AdamW with the paper's constant learning rate and weight decay; its state takes the weights' dtype
    (fp32 under mixed precision). On pure bf16 weights, a warning when `algo.lr` is too small for a bf16
    update to change most of them (`precision.warn_if_updates_round_away`)."""
    warn_if_updates_round_away(model, algo.lr)
    return torch.optim.AdamW(model.parameters(), lr=algo.lr, weight_decay=algo.weight_decay)


def build_engine(cfg: RolloutConfig, model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase,
                 ray: RayConfig | None = None, *, max_model_len: int | None = None, seed: int = 0) -> RolloutEngine:
    """The rollout engine named by `rollout.engine`, sampling from `model` (synced after every update).

    "hf": in this process, on the model itself, or in `ray.rollout_actors` Ray actors holding copies when
    Ray is on. "vllm": a vLLM engine on this process's GPU(s) (the `or1[vllm]` extra), started from the
    checkpoint `model` was loaded from.
    """
    if cfg.engine == "vllm":
        from or1.rollout.vllm_engine import VLLMEngine

        return VLLMEngine.from_config(cfg, model, tokenizer, max_model_len=max_model_len, seed=seed)
    if ray is not None and ray.enabled and ray.rollout_actors > 0:
        from or1.distributed.ray_cluster import start_or_join
        from or1.distributed.ray_rollout import RayRolloutEngine

        start_or_join(ray.address)
        return RayRolloutEngine(model, eos_token_ids(tokenizer), tokenizer.pad_token_id, actors=ray.rollout_actors,
                                max_batch=cfg.max_batch, max_retries=ray.max_retries)
    from or1.policy import hf_engine

    return hf_engine(model, tokenizer, cfg.max_batch)


def build_scorer(cfg: RewardConfig, ray: RayConfig | None = None) -> RewardRegistry | RayRewardRegistry:
    """The math and code verifiers: in-process worker pools, or `ray.reward_actors` Ray actors when Ray is on
    (a local cluster this process starts, or the one at `ray.address`). In-process pools restart and retry
    by `reward.*` (the pools the verifiers build take the process default set here)."""
    if ray is not None and ray.enabled:
        from or1.distributed.ray_cluster import start_or_join
        from or1.distributed.ray_rewards import RayRewardRegistry

        start_or_join(ray.address)
        return RayRewardRegistry(actors=ray.reward_actors, workers=cfg.workers, math_timeout_s=cfg.math_timeout_s,
                                 code_time_limit_s=cfg.code_time_limit_s,
                                 max_retries=ray.max_retries)
    set_default_policy(PoolPolicy.from_config(cfg))
    return default_registry(cfg.workers, cfg.math_timeout_s, cfg.code_time_limit_s)


def load_data(files: tuple[str, ...], tokenizer: PreTrainedTokenizerBase, max_prompt_length: int,
              skip_invalid: bool = False) -> tuple[list[Problem], list[list[int]]]:
    """Problems of all files and their encoded prompts; prompts over `max_prompt_length` are dropped.

    Rows that can never earn reward (`data_checks.why_unpayable`) are an error naming file and row, or,
    with `skip_invalid`, skipped and counted in one warning.

    Raises:
        DataError: an unpayable row (without `skip_invalid`), or no usable row at all.
    """
    problems, ids, invalid = [], [], []
    dropped, bare = 0, bare_template_length(tokenizer)
    for f in files:
        for row, p in enumerate(load_problems(f)):
            enc = encode_prompt(tokenizer, p.prompt)
            why = why_unpayable(p, enc, bare)
            if why is not None:
                invalid.append(f"{f}: row {row} ({p.uid}): {why}")
            elif len(enc) > max_prompt_length:
                dropped += 1
            else:
                problems.append(p)
                ids.append(enc)
    if invalid:
        listed = "; ".join(invalid[:5]) + (f"; and {len(invalid) - 5} more" if len(invalid) > 5 else "")
        if not skip_invalid:
            raise DataError(f"{len(invalid)} rows can never earn reward: {listed}. Fix the data, or set "
                            "data.skip_invalid=true to skip such rows")
        log.warning("skipped %d rows that can never earn reward (data.skip_invalid=true): %s", len(invalid), listed)
    if dropped:
        log.warning("dropped %d prompts longer than data.max_prompt_length=%d tokens", dropped, max_prompt_length)
    if not problems:
        raise DataError(f"no usable rows in {', '.join(files)}")
    return problems, ids
