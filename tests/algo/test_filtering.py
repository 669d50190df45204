"""Tests for or1.algo.filtering: online group filter and offline prompt filter."""

import pytest
import torch

from or1.algo.advantage import group_advantages
from or1.algo.filtering import informative_groups, offline_keep


def test_all_zero_all_one_and_mixed_groups():
    # G=3, groups [0,0,0] [1,1,1] [1,0,0] [0,0,1] -> only the mixed groups carry signal
    rewards = torch.tensor([0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0])
    keep = informative_groups(rewards, group_size=3)
    assert keep.dtype == torch.bool
    assert keep.tolist() == [False, False, True, True]


def test_kept_groups_are_exactly_those_with_nonzero_advantage():
    torch.manual_seed(0)
    rewards = torch.randint(0, 2, (40,)).float()  # 10 groups of 4, some uniform
    keep = informative_groups(rewards, 4)
    nonzero = group_advantages(rewards, 4).view(10, 4).abs().sum(-1) > 0
    assert torch.equal(keep, nonzero)
    assert 0 < keep.sum() < 10  # the seed gives both kinds


def test_single_group_and_non_binary_rewards():
    assert informative_groups(torch.tensor([0.5, 0.5]), 2).tolist() == [False]
    assert informative_groups(torch.tensor([0.5, 0.25]), 2).tolist() == [True]
    # one differing reward at the end of the group is enough
    assert informative_groups(torch.tensor([1.0, 1.0, 1.0, 0.0]), 4).tolist() == [True]


def test_informative_groups_wrong_size_raises():
    with pytest.raises(RuntimeError):
        informative_groups(torch.tensor([1.0, 0.0, 1.0]), 2)


def test_offline_keep_drops_fully_solved():
    # n=4, pass counts [0,1,3,4] -> only the 4/4 prompt goes
    keep = offline_keep(torch.tensor([0, 1, 3, 4]), n=4)
    assert keep.dtype == torch.bool
    assert keep.tolist() == [True, True, True, False]


def test_offline_keep_drop_unsolved():
    # with drop_unsolved, 0/4 goes too
    keep = offline_keep(torch.tensor([0, 1, 3, 4]), n=4, drop_unsolved=True)
    assert keep.tolist() == [False, True, True, False]


@pytest.mark.parametrize(
    ("counts", "drop_unsolved", "expected"),
    [
        ([0, 0], False, [True, True]),  # never solved: kept by default
        ([0, 0], True, [False, False]),
        ([8, 8], False, [False, False]),  # always solved: dropped either way
        ([8, 8], True, [False, False]),
        ([1, 7], True, [True, True]),  # the edges just inside (1 and n-1) stay
    ],
)
def test_offline_keep_edge_counts(counts, drop_unsolved, expected):
    assert offline_keep(torch.tensor(counts), n=8, drop_unsolved=drop_unsolved).tolist() == expected


def test_offline_keep_does_not_modify_input():
    counts = torch.tensor([0, 2, 2])
    offline_keep(counts, n=2, drop_unsolved=True)
    assert counts.tolist() == [0, 2, 2]
