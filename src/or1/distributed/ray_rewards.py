"""Reward workers on Ray: the math and code verifiers in actors, with retry when one dies (docs/ray.md).

Each actor holds an ordinary in-process `RewardRegistry` (math worker pool, code sandbox), so a reward
computed here is the one `default_registry` computes; Ray only decides where it runs. A batch is cut into
contiguous chunks, one per actor, scored in parallel and put back in request order. When an actor dies
mid-batch (killed, out of memory, its node lost), its chunk is re-scored from the start on a fresh actor:
verifiers are pure functions of (response, ground truth), so a re-run gives the same rewards.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from typing import Any

from or1.distributed.ray_cluster import import_ray, kill_quietly, map_with_retry, split_even
from or1.rewards.registry import ScoreRequest, default_registry
from or1.rewards.types import RewardResult

__all__ = ["RayRewardRegistry"]


class _RewardWorker:
    """The body of one reward actor: a `default_registry` that lives as long as the actor."""

    def __init__(self, workers: int | None, math_timeout_s: float, code_time_limit_s: float) -> None:
        self.registry = default_registry(workers, math_timeout_s, code_time_limit_s)

    def score(self, requests: list[ScoreRequest]) -> list[RewardResult]:
        return self.registry.score(requests)

    def pid(self) -> int:
        return os.getpid()

    def close(self) -> None:
        self.registry.close()


class RayRewardRegistry:
    """`RewardRegistry.score`/`close` with the scoring done by `actors` Ray actors.

    Args:
        actors: reward actors (`ray.reward_actors`); a batch is split into at most this many chunks.
        workers: verifier processes per actor (`reward.workers`; None = one per core of the actor's node).
        math_timeout_s, code_time_limit_s: as in `default_registry` (`reward.*`).
        max_retries: re-submissions of one chunk after its actor died (`ray.max_retries`).

    Needs a connected Ray driver (`start_or_join`). Actors are created here and warmed up lazily: each
    builds its verifiers on the first request of their family, like the in-process registry.
    """

    def __init__(self, actors: int, workers: int | None, math_timeout_s: float, code_time_limit_s: float,
                 max_retries: int) -> None:
        if actors < 1 or max_retries < 0:
            raise ValueError(f"need actors >= 1 and max_retries >= 0, got {actors} and {max_retries}")
        ray = import_ray()
        # SPREAD: on a multi-node cluster the verifiers use every node's cores, not just the driver's.
        self._cls = ray.remote(_RewardWorker).options(scheduling_strategy="SPREAD")
        self._args = (workers, math_timeout_s, code_time_limit_s)
        self.max_retries = max_retries
        self.actors: list[Any] = [self._cls.remote(*self._args) for _ in range(actors)]
        self.retries = 0  # chunks re-submitted after an actor died, over this registry's life

    def score(self, requests: Sequence[ScoreRequest]) -> list[RewardResult]:
        """Score every request; results in request order, equal to `default_registry(...).score(requests)`.

        Raises:
            RuntimeError: one chunk's actor died more than `max_retries` times.
        """
        ray = import_ray()
        chunks = split_even(len(requests), len(self.actors))
        refs = [ray.put([requests[j] for j in r]) for r in chunks]  # put once: a retry re-sends no data
        out, retries = map_with_retry(self.actors, lambda actor, i: actor.score.remote(refs[i]), self._replace,
                                      len(chunks), self.max_retries, "reward")
        self.retries += retries
        return [res for part in out for res in part]

    def pids(self) -> list[int]:
        """Process id of each actor (on its node), in actor order."""
        return import_ray().get([a.pid.remote() for a in self.actors])

    def _replace(self, i: int) -> Any:
        kill_quietly(self.actors[i])
        return self._cls.remote(*self._args)

    def close(self) -> None:
        """Stop the actors' verifiers, then the actors."""
        ray = import_ray()
        for a in self.actors:
            with contextlib.suppress(Exception):  # a dead actor has nothing left to close
                ray.get(a.close.remote(), timeout=30)
            kill_quietly(a)
        self.actors = []

    def __enter__(self) -> RayRewardRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

