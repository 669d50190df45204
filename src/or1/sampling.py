"""Generate → decode → score, written once: training's rollouts and evaluation's samples both go through
`generate_and_score`; `sample_and_score` adds evaluation's chunking and per-problem grouping."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import cast

import torch
from transformers import PreTrainedTokenizerBase

from or1.problems.schema import Problem
from or1.rewards.registry import RewardScorer, ScoreRequest
from or1.rewards.types import RewardResult
from or1.rollout.prompts import encode_prompt
from or1.rollout.types import RolloutBatch, RolloutEngine, SamplingParams

__all__ = ["Sample", "decode_responses", "generate_and_score", "sample_and_score"]


@dataclass(frozen=True)
class Sample:
    """One scored response."""

    problem: Problem
    index: int  # sample index within the problem, 0..K-1
    response: str
    result: RewardResult
    length: int  # response tokens
    truncated: bool


def decode_responses(tokenizer: PreTrainedTokenizerBase, response_ids, resp_mask) -> list[str]:
    """Text of each response; special tokens dropped, `</think>` (an ordinary added token) kept."""
    # One sequence of ids decodes to one str (the list return type is for a batch of sequences).
    return [cast(str, tokenizer.decode(ids[m].tolist(), skip_special_tokens=True))
            for ids, m in zip(response_ids, resp_mask, strict=True)]


def generate_and_score(engine: RolloutEngine, tokenizer: PreTrainedTokenizerBase, registry: RewardScorer,
                       prompt_ids: list[list[int]], problems: Sequence[Problem], params: SamplingParams, seed: int
                       ) -> tuple[RolloutBatch, list[str], list[RewardResult]]:
    """`params.n` responses to each prompt (`problems[i]` is the problem of `prompt_ids[i]`), decoded and
    scored: the engine's batch with its `rewards` set, the N = P·n texts and their verdicts, groups
    contiguous."""
    batch = engine.generate(prompt_ids, params, seed)
    texts = decode_responses(tokenizer, batch.response_ids, batch.resp_mask)
    reqs = [ScoreRequest(t, p.ability, p.data_source, p.ground_truth)
            for t, p in zip(texts, (p for p in problems for _ in range(params.n)), strict=True)]
    results = registry.score(reqs)
    rewards = torch.tensor([r.reward for r in results], dtype=torch.float32)  # (N,)
    return replace(batch, rewards=rewards), texts, results


def sample_and_score(
    engine: RolloutEngine,
    tokenizer: PreTrainedTokenizerBase,
    problems: Sequence[Problem],
    registry: RewardScorer,
    params: SamplingParams,
    seed: int,
    prompts_per_call: int = 64,
    on_progress: Callable[[int], None] | None = None,
) -> list[list[Sample]]:
    """K = params.n scored samples for every problem, in problem order.

    Problems are processed `prompts_per_call` at a time; call c uses seed + c, so the result is a
    deterministic function of (seed, problems, params). `on_progress(k)` is called after each call with
    the k problems it finished (e.g. to advance a progress bar).
    """
    out: list[list[Sample]] = []
    for c, start in enumerate(range(0, len(problems), prompts_per_call)):
        chunk = problems[start : start + prompts_per_call]
        batch, texts, results = generate_and_score(engine, tokenizer, registry,
                                                   [encode_prompt(tokenizer, p.prompt) for p in chunk], chunk,
                                                   params, seed + c)
        lengths, trunc = batch.lengths.tolist(), batch.truncated.tolist()
        for j, p in enumerate(chunk):
            rows = range(j * params.n, (j + 1) * params.n)
            out.append([Sample(p, k, texts[i], results[i], lengths[i], trunc[i]) for k, i in enumerate(rows)])
        if on_progress is not None:
            on_progress(len(chunk))
    return out
