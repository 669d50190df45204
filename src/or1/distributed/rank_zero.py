"""Rank 0 scores, every rank gets the rewards: for launches where all ranks sample in lockstep (vLLM)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from or1.distributed.world import broadcast_object
from or1.rewards.registry import RewardScorer, ScoreRequest
from or1.rewards.types import RewardResult

__all__ = ["RankZeroScorer"]


class RankZeroScorer:
    """`RewardRegistry.score`/`close` where rank 0's registry scores and broadcasts the results.

    A colocated vLLM engine exists on every rank and tensor-parallel groups generate together, so every
    rank runs the same rollout loop on the same prompts; the verifiers (worker pools, sandbox, or Ray
    actors) run once, on rank 0, and the other ranks receive the same rewards, keeping their prompt
    samplers and refill decisions identical.

    Args:
        registry: the verifiers on rank 0; None on the other ranks.
    """

    def __init__(self, registry: RewardScorer | None) -> None:
        self.registry = registry

    def score(self, requests: Sequence[ScoreRequest]) -> list[RewardResult]:
        results = self.registry.score(requests) if self.registry is not None else None
        return cast(list[RewardResult], broadcast_object(results))  # every rank: rank 0's list

    def close(self) -> None:
        if self.registry is not None:
            self.registry.close()
