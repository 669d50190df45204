"""Micro-batch planning by rows and by padded-token budget."""

from __future__ import annotations

import itertools
import random

import pytest

from or1.trainer.microbatch import plan_micro_batches


def test_row_cap_only():
    assert plan_micro_batches([5] * 7, max_rows=3) == [range(0, 3), range(3, 6), range(6, 7)]


def test_token_budget_counts_padding_to_the_longest_row():
    # [3, 3] costs 2x3 = 6; adding 8 would cost 3x8 = 24 > 10; 8 alone (8); 8 with 2 costs 16 > 10
    assert plan_micro_batches([3, 3, 8, 2], max_rows=4, max_tokens=10) == [range(0, 2), range(2, 3), range(3, 4)]


def test_a_row_over_budget_goes_alone():
    assert plan_micro_batches([2, 50, 2], max_rows=8, max_tokens=10) == [range(0, 1), range(1, 2), range(2, 3)]


def test_empty_and_bad_limits():
    assert plan_micro_batches([], max_rows=4, max_tokens=10) == []
    with pytest.raises(ValueError):
        plan_micro_batches([1], max_rows=0)
    with pytest.raises(ValueError):
        plan_micro_batches([1], max_rows=1, max_tokens=0)


@pytest.mark.parametrize("seed", range(20))
def test_random_plans_cover_every_row_once_within_both_limits(seed):
    rng = random.Random(seed)
    lengths = [rng.randint(1, 40) for _ in range(rng.randint(1, 60))]
    rows, budget = rng.randint(1, 9), rng.choice([None, rng.randint(20, 200)])
    plan = plan_micro_batches(lengths, rows, budget)
    assert [i for r in plan for i in r] == list(range(len(lengths)))
    for r in plan:
        assert 1 <= len(r) <= rows
        cost = len(r) * max(lengths[i] for i in r)
        assert budget is None or cost <= budget or len(r) == 1
    if budget is not None:  # greedy: the next row would have broken a limit
        for a, b in itertools.pairwise(plan):
            grown = range(a.start, b.start + 1)
            assert len(grown) > rows or len(grown) * max(lengths[i] for i in grown) > budget
