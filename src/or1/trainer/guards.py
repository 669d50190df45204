"""The rollout engine and the verifiers as the trainer sees them: under watchdog phases, with counters.

Sampling and scoring interleave inside `collect_groups` (a refill samples and scores again), so the
phases are set where the calls happen, on these thin proxies, not around the whole rollout loop.
`GuardedScorer` also counts what went wrong in scoring (timeouts, errors, verifier worker restarts)
for the step metrics (`reward/timeouts`, `reward/errors`, `reward/worker_restarts`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from or1.rewards.pool import total_restarts
from or1.rewards.registry import RewardScorer, ScoreRequest
from or1.rewards.types import RewardResult
from or1.rollout.types import RolloutBatch, RolloutEngine, SamplingParams
from or1.trainer.watchdog import Watchdog

__all__ = ["GuardedEngine", "GuardedScorer"]


class GuardedEngine:
    """A rollout engine whose `generate` runs as the watchdog's "rollout" phase; all else passes through."""

    def __init__(self, engine: RolloutEngine, watchdog: Watchdog) -> None:
        self.engine, self.watchdog = engine, watchdog

    def generate(self, prompt_ids: list[list[int]], params: SamplingParams, seed: int = 0) -> RolloutBatch:
        with self.watchdog.phase("rollout"):
            self.watchdog.note(f"sampling {len(prompt_ids)} prompts x {params.n}, up to {params.max_tokens} tokens")
            return self.engine.generate(prompt_ids, params, seed=seed)

    def sync_weights(self) -> None:
        self.engine.sync_weights()

    def close(self) -> None:
        self.engine.close()

    def __getattr__(self, name: str) -> Any:  # engine-specific extras (vLLM's sleep/wake_up)
        return getattr(self.engine, name)


class GuardedScorer:
    """A reward registry whose `score` runs as the "scoring" phase and whose outcomes are counted.

    Args:
        registry: anything with `score(requests)` and `close()` (`RewardRegistry`, Ray, rank-0 scorers).
    """

    def __init__(self, registry: RewardScorer, watchdog: Watchdog) -> None:
        self.registry, self.watchdog = registry, watchdog
        self._timeouts = self._errors = 0
        self._restarts_at = total_restarts()

    def score(self, requests: Sequence[ScoreRequest]) -> list[RewardResult]:
        with self.watchdog.phase("scoring"):
            self.watchdog.note(f"scoring {len(requests)} responses")
            results = self.registry.score(requests)
        self._timeouts += sum(r.status == "timeout" for r in results)
        self._errors += sum(r.status == "error" for r in results)
        return results

    def take_counts(self) -> dict[str, float]:
        """Counts since the last call: `reward/timeouts`, `reward/errors`, `reward/worker_restarts`."""
        restarts = total_restarts()
        out = {"reward/timeouts": float(self._timeouts), "reward/errors": float(self._errors),
               "reward/worker_restarts": float(restarts - self._restarts_at)}
        self._timeouts = self._errors = 0
        self._restarts_at = restarts
        return out

    def close(self) -> None:
        self.registry.close()
