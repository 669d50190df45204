"""The result every verifier returns, whatever the family (math, code)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["RewardResult"]


@dataclass(frozen=True)
class RewardResult:
    """Outcome of scoring one response.

    Attributes:
        reward: 1.0 if the response is correct, else 0.0 (rule-based rewards are binary, DESIGN.md §2).
        status: why. Shared values: "ok" (verified correct), "wrong" (compared, not equal), "unfinished"
            (no `</think>`), "no_answer" (no answer could be extracted), "timeout", "error". Code adds
            "wrong_answer", "runtime_error", "memory", "output_limit".
        seconds: wall-clock time spent verifying.
        extracted: the extracted answer or program, when there was one (for logs and evaluation).
        detail: free-form extra information (error message, per-test results, ...).
    """

    reward: float
    status: str
    seconds: float = 0.0
    extracted: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def correct(self) -> bool:
        return self.reward > 0.0
