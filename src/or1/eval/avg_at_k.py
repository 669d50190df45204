"""Avg@K evaluation of a model on a set of problems: the numbers the report and the demo print."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from transformers import PreTrainedTokenizerBase

from or1.problems.schema import Problem
from or1.rewards.registry import RewardScorer
from or1.rollout.types import RolloutEngine, SamplingParams
from or1.sampling import Sample, sample_and_score
from or1.stats import avg_at_k, bootstrap_ci, pass_at_k

__all__ = ["AvgAtK", "evaluate"]


@dataclass(frozen=True)
class AvgAtK:
    """Avg@K with its 95% bootstrap interval (over problems) and unbiased pass@K."""

    temperature: float
    k: int
    problems: int
    avg: float
    ci_low: float
    ci_high: float
    pass_at_k: float
    mean_length: float
    truncated_frac: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def summarize(samples: Sequence[Sequence[Sample]], temperature: float) -> AvgAtK:
    """Metrics of K scored samples per problem."""
    correct = [[s.result.correct for s in group] for group in samples]
    k = len(correct[0])
    per_problem = [sum(c) / len(c) for c in correct]
    lo, hi = bootstrap_ci(per_problem)
    flat = [s for group in samples for s in group]
    return AvgAtK(temperature, k, len(correct), avg_at_k(correct), lo, hi,
                  sum(pass_at_k(len(c), sum(c), len(c)) for c in correct) / len(correct),
                  sum(s.length for s in flat) / len(flat), sum(s.truncated for s in flat) / len(flat))


def evaluate(engine: RolloutEngine, tokenizer: PreTrainedTokenizerBase, problems: Sequence[Problem],
             registry: RewardScorer, *, k: int, temperatures: Sequence[float], max_tokens: int,
             seed: int = 1234, top_p: float = 1.0) -> list[AvgAtK]:
    """Sample K responses per problem at each temperature and summarise."""
    out = []
    for j, temp in enumerate(temperatures):
        params = SamplingParams(n=k, temperature=temp, top_p=top_p, max_tokens=max_tokens)
        out.append(summarize(sample_and_score(engine, tokenizer, problems, registry, params, seed + j), temp))
    return out
