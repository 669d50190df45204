"""Evaluation metrics (DESIGN.md §4): Avg@K, unbiased pass@k, bootstrap confidence intervals.

Pure Python + numpy; no torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import comb

import numpy as np

__all__ = ["avg_at_k", "bootstrap_ci", "k_values", "paired_bootstrap_ci", "pass_at_k", "pass_at_k_curve"]


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


def k_values(k_max: int) -> list[int]:
    """The k of a pass@k curve: powers of two below `k_max`, then `k_max` itself (1, 2, 4, …, K)."""
    if k_max < 1:
        raise ValueError(f"k_max must be >= 1, got {k_max}")
    ks = [1 << i for i in range(k_max.bit_length()) if 1 << i < k_max]
    return [*ks, k_max]


def pass_at_k_curve(counts: Sequence[tuple[int, int]], ks: Sequence[int]) -> dict[int, float]:
    """Mean unbiased pass@k over problems, for each k in `ks`.

    Args:
        counts: per problem, (n samples, c correct).
        ks: the k to report; each must be <= every problem's n.
    Returns:
        {k: mean over problems of pass_at_k(n, c, k)}.
    """
    if not counts:
        raise ValueError("pass_at_k_curve needs at least one problem")
    return {k: float(np.mean([pass_at_k(n, c, k) for n, c in counts])) for k in ks}


def paired_bootstrap_ci(a: Sequence[float], b: Sequence[float], level: float = 0.95, resamples: int = 2000,
                        seed: int = 0) -> tuple[float, float, float]:
    """Mean of b - a over paired problems with a percentile bootstrap interval.

    The same resampled problems enter both means, so the problem-to-problem spread that both models
    share (some problems are hard for everyone) cancels out: the interval is narrower than the one of
    two independent intervals.

    Args:
        a, b: per-problem scores of two models on the same problems, in the same order.
    Returns:
        (mean difference, low, high).
    """
    if len(a) != len(b):
        raise ValueError(f"paired scores need equal lengths, got {len(a)} and {len(b)}")
    d = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    lo, hi = bootstrap_ci(d, level, resamples, seed)
    return float(d.mean()), lo, hi
