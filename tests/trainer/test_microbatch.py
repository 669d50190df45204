"""Micro-batch planning by rows and by padded-token budget, and the whole update plan over mini-batches and ranks."""

from __future__ import annotations

import itertools
import random

import pytest

from or1.trainer.microbatch import MiniBatch, plan_micro_batches, plan_update


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


# --- plan_update: mini-batches, rank shares, padding micro-batches --------------------------------------


def test_plan_update_worked_example():
    """The docstring's example: 3 groups of 2 rows over 2 ranks, two rows per micro-batch."""
    lengths = [4, 4, 4, 4, 9, 9]
    r0 = plan_update(lengths, 2, 3, max_rows=2, max_tokens=None, rank=0, world_size=2)
    r1 = plan_update(lengths, 2, 3, max_rows=2, max_tokens=None, rank=1, world_size=2)
    assert r0 == [MiniBatch(range(0, 6), (range(0, 2), None))]
    assert r1 == [MiniBatch(range(0, 6), (range(2, 4), range(4, 6)))]


@pytest.mark.parametrize("seed", range(200))
def test_every_plan_covers_each_row_once_and_ranks_run_alike(seed):
    """Random shapes: every row of the step is trained exactly once over all ranks, inside its own mini-batch,
    in whole groups per rank; every rank runs the same number of micro-batches per mini-batch; each
    micro-batch respects the row cap and (but for single long rows) the token budget."""
    rng = random.Random(seed)
    g, groups, mini = rng.randint(1, 5), rng.randint(1, 9), rng.randint(1, 6)
    world, max_rows = rng.randint(1, 4), rng.randint(1, 7)
    max_tokens = rng.choice([None, rng.randint(5, 60)])
    lengths = [rng.randint(1, 20) for _ in range(g * groups)]
    plans = [plan_update(lengths, g, mini, max_rows=max_rows, max_tokens=max_tokens, rank=r, world_size=world)
             for r in range(world)]
    assert all(len(p) == -(-groups // mini) for p in plans)  # ceil(groups / mini) optimiser steps
    seen = []
    for step in range(len(plans[0])):
        minis = [p[step] for p in plans]
        assert len({m.rows for m in minis}) == 1 and len({len(m.micro) for m in minis}) == 1
        rows = minis[0].rows
        assert rows.start % g == 0 and rows.stop % g == 0
        for m in minis:
            real = [mb for mb in m.micro if mb is not None]
            assert all(mb is not None for mb in m.micro[: len(real)])  # padding only at the end
            mine = [i for mb in real for i in mb]
            assert mine == sorted(mine) and all(i in rows for i in mine)
            if mine:
                assert mine[0] % g == 0 and (mine[-1] + 1) % g == 0  # a rank holds whole groups
            for mb in real:
                assert len(mb) <= max_rows
                cost = len(mb) * max(lengths[i] for i in mb)
                assert max_tokens is None or cost <= max_tokens or len(mb) == 1
            seen += mine
    assert seen == sorted(seen) == list(range(len(lengths)))  # each row once, over all ranks


def test_plan_update_refuses_rows_that_are_not_whole_groups():
    with pytest.raises(ValueError, match="do not form groups of 4"):
        plan_update([3] * 6, 4, 1, max_rows=8, max_tokens=None)
