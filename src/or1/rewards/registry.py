"""Which verifier scores which row: a table keyed by `data_source`, then `ability` (DESIGN.md §2).

A dict, not an if/elif chain over dataset names: adding a family is one entry. Verifiers are built on
first use, so a math-only run never starts the code sandbox.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from or1.config import VerifyConfig
from or1.rewards.types import RewardResult

__all__ = ["RewardRegistry", "RewardScorer", "ScoreRequest", "Scorer", "default_registry"]


class Scorer(Protocol):
    """A verifier family: scores a batch of full responses against their ground truths."""

    def score_batch(
        self, responses: list[str], ground_truths: list[Any], mode: str = "response"
    ) -> list[RewardResult]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class ScoreRequest:
    """One response to score, with what the data row says about how."""

    response: str
    ability: str
    data_source: str
    ground_truth: Any


class RewardScorer(Protocol):
    """What the trainer and evaluation score with: `RewardRegistry`, its Ray and rank-0 forms, the guarded one."""

    def score(self, requests: Sequence[ScoreRequest]) -> list[RewardResult]: ...

    def close(self) -> None: ...


class RewardRegistry:
    """Routes each request to its family's verifier and returns results in request order.

    Args:
        factories: family name -> zero-argument constructor of its `Scorer` (built on first use).
        by_source: `data_source` -> family, for sources whose family is not their `ability`.
    """

    def __init__(self, factories: dict[str, Callable[[], Scorer]], by_source: dict[str, str] | None = None):
        self.factories, self.by_source = dict(factories), dict(by_source or {})
        self._scorers: dict[str, Scorer] = {}

    def family(self, req: ScoreRequest) -> str:
        name = self.by_source.get(req.data_source, req.ability)
        if name not in self.factories:
            known = ", ".join(sorted(self.factories))
            raise KeyError(f"no verifier for ability/data_source '{name}' (known: {known})")
        return name

    def score(self, requests: Sequence[ScoreRequest]) -> list[RewardResult]:
        """Score every request, one batched call per family."""
        groups: dict[str, list[int]] = defaultdict(list)
        for i, r in enumerate(requests):
            groups[self.family(r)].append(i)
        results: list[RewardResult | None] = [None] * len(requests)
        for name, idx in groups.items():
            if name not in self._scorers:
                self._scorers[name] = self.factories[name]()
            out = self._scorers[name].score_batch(
                [requests[i].response for i in idx], [requests[i].ground_truth for i in idx]
            )
            for i, res in zip(idx, out, strict=True):
                results[i] = res
        return results  # type: ignore[return-value]

    def close(self) -> None:
        for s in self._scorers.values():
            s.close()
        self._scorers.clear()

    def __enter__(self) -> RewardRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def default_registry(
    workers: int | None = None,
    math_timeout_s: float = VerifyConfig.math_timeout_s,
    code_time_limit_s: float = VerifyConfig.code_time_limit_s,
) -> RewardRegistry:
    """Math and code verifiers keyed by ability ("math", "code")."""

    def math() -> Scorer:
        from or1.rewards.math.verifier import MathVerifier

        return MathVerifier(workers=workers, timeout_s=math_timeout_s)

    def code() -> Scorer:
        from or1.rewards.code.verifier import CodeVerifier

        return CodeVerifier(workers=workers, time_limit_s=code_time_limit_s)

    return RewardRegistry({"math": math, "code": code})
