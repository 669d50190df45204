"""Evaluation metrics (DESIGN.md §4): Avg@K, unbiased pass@k, bootstrap confidence intervals.

Pure Python + numpy; no torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import comb

import numpy as np

__all__ = ["avg_at_k", "bootstrap_ci", "pass_at_k"]


def avg_at_k(correct: Sequence[Sequence[bool]]) -> float:
    """Mean accuracy over all K samples of all problems (the report's headline Avg@K).

    Args:
        correct: per problem, the verdicts of its K samples (K may differ between problems).
    Returns:
        mean over problems of (correct samples / K), in [0, 1].
    """
    if not correct:
        raise ValueError("avg_at_k needs at least one problem")
    return float(np.mean([np.mean(c) for c in correct]))


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of one problem from n samples with c correct (Chen et al. 2021).

    pass@k = 1 - C(n - c, k) / C(n, k); equals 1 when n - c < k.
    """
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


def bootstrap_ci(values: Sequence[float], level: float = 0.95, resamples: int = 2000,
                 seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of per-problem `values` (problems resampled)."""
    v = np.asarray(values, dtype=float)
    if v.size == 0:
        raise ValueError("bootstrap_ci needs at least one value")
    rng = np.random.default_rng(seed)
    means = v[rng.integers(0, v.size, size=(resamples, v.size))].mean(1)
    lo, hi = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)
