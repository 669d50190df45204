"""stats.py on hand-computed numbers: Avg@K, the unbiased pass@k estimator, bootstrap intervals."""

from __future__ import annotations

from math import comb

import numpy as np
import pytest

from or1.stats import avg_at_k, bootstrap_ci, k_values, paired_bootstrap_ci, pass_at_k, pass_at_k_curve


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        (5, 0, 1, 0.0),  # c = 0: never passes, whatever k
        (5, 0, 5, 0.0),
        (5, 5, 1, 1.0),  # c = n: always passes
        (5, 5, 3, 1.0),
        (5, 2, 5, 1.0),  # k = n with c > 0: one of the n samples is right for sure
        (4, 1, 1, 0.25),  # pass@1 = c / n
        (4, 1, 2, 0.5),  # 1 - C(3,2)/C(4,2) = 1 - 3/6
        (10, 3, 4, 5 / 6),  # 1 - C(7,4)/C(10,4) = 1 - 35/210
        (32, 8, 1, 0.25),
        (3, 1, 3, 1.0),  # n - c = 2 < k = 3
    ],
)
def test_pass_at_k_hand_computed(n, c, k, expected):
    assert pass_at_k(n, c, k) == pytest.approx(expected)


def test_pass_at_k_is_the_chance_that_k_drawn_samples_contain_a_correct_one():
    # Exhaustive check on n = 6, c = 2: count k-subsets of the 6 samples that hold a correct one.
    n, c = 6, 2
    for k in range(1, n + 1):
        with_correct = comb(n, k) - comb(n - c, k)
        assert pass_at_k(n, c, k) == pytest.approx(with_correct / comb(n, k))


@pytest.mark.parametrize(("n", "c", "k"), [(4, 5, 1), (4, -1, 1), (4, 1, 0), (4, 1, 5)])
def test_pass_at_k_rejects_impossible_counts(n, c, k):
    with pytest.raises(ValueError, match="need 0 <= c <= n"):
        pass_at_k(n, c, k)


def test_avg_at_k_is_the_mean_of_per_problem_accuracies():
    # (1/4 + 2/4 + 0/4) / 3 = 0.25
    assert avg_at_k([[True, False, False, False], [True, True, False, False], [False] * 4]) == pytest.approx(0.25)
    assert avg_at_k([[True], [False]]) == 0.5
    with pytest.raises(ValueError):
        avg_at_k([])


def test_avg_at_k_equals_unbiased_pass_at_1():
    counts = [(8, 0), (8, 3), (8, 8), (8, 5)]
    correct = [[i < c for i in range(n)] for n, c in counts]
    assert pass_at_k_curve(counts, [1])[1] == pytest.approx(avg_at_k(correct))


@pytest.mark.parametrize(("k", "ks"), [(1, [1]), (2, [1, 2]), (4, [1, 2, 4]), (6, [1, 2, 4, 6]),
                                       (32, [1, 2, 4, 8, 16, 32])])
def test_k_values(k, ks):
    assert k_values(k) == ks


def test_pass_at_k_curve_hand_computed():
    # Problem 1: n=4, c=1 -> pass@1 .25, pass@2 .5, pass@4 1. Problem 2: c=0 -> 0 everywhere.
    curve = pass_at_k_curve([(4, 1), (4, 0)], k_values(4))
    assert curve == pytest.approx({1: 0.125, 2: 0.25, 4: 0.5})
    values = list(curve.values())
    assert values == sorted(values)  # pass@k never decreases with k


def test_bootstrap_ci_of_constant_values_is_a_point():
    assert bootstrap_ci([0.5] * 10) == (0.5, 0.5)


def test_bootstrap_ci_brackets_the_mean_and_is_reproducible():
    values = [0, 0, 1, 0.5, 0.25, 1, 0, 0.75]
    lo, hi = bootstrap_ci(values)
    assert lo < np.mean(values) < hi
    assert bootstrap_ci(values) == (lo, hi)  # same seed, same interval


def _width(k: int, problems: int = 30, p: float = 0.5) -> float:
    rng = np.random.default_rng(0)
    per_problem = rng.binomial(k, p, size=problems) / k  # accuracy of each problem from K samples
    lo, hi = bootstrap_ci(per_problem)
    return hi - lo


def test_ci_width_shrinks_with_k():
    # Problems of equal difficulty (p = 0.5): the spread of per-problem accuracies is sampling noise only,
    # with std sqrt(p(1-p)/K), so the interval narrows roughly like 1/sqrt(K).
    w1, w4, w32 = _width(1), _width(4), _width(32)
    assert w1 > w4 > w32
    assert w32 < w1 / 3


def test_paired_bootstrap_of_equal_runs_is_zero():
    a = [0.0, 0.25, 1.0, 0.5]
    assert paired_bootstrap_ci(a, a) == (0.0, 0.0, 0.0)


def test_paired_bootstrap_of_a_constant_shift_is_that_shift():
    a = [0.0, 0.25, 0.5, 0.75]
    diff, lo, hi = paired_bootstrap_ci(a, [x + 0.125 for x in a])
    assert (diff, lo, hi) == pytest.approx((0.125, 0.125, 0.125))


def test_paired_interval_is_narrower_than_unpaired_on_correlated_scores():
    rng = np.random.default_rng(1)
    a = rng.uniform(0, 1, 40)  # problem difficulty dominates both models' scores
    b = np.clip(a + rng.normal(0.05, 0.05, 40), 0, 1)
    diff, lo, hi = paired_bootstrap_ci(a, b)
    lo_a, hi_a = bootstrap_ci(a)
    lo_b, hi_b = bootstrap_ci(b)
    assert lo < diff < hi and diff == pytest.approx(float(np.mean(b - a)))
    assert hi - lo < (hi_a - lo_a) / 2 and hi - lo < (hi_b - lo_b) / 2


def test_paired_bootstrap_rejects_unpaired_lengths():
    with pytest.raises(ValueError, match="equal lengths"):
        paired_bootstrap_ci([1.0], [1.0, 0.0])
