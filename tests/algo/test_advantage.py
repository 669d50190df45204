"""Tests for or1.algo.advantage: GRPO group advantages and their broadcast to tokens."""

import pytest
import torch

from or1.algo.advantage import group_advantages, to_tokens


def test_two_groups_of_two_sample_std():
    # rewards [1,0 | 0,1], G=2: each group has mean 0.5, sample std sqrt(0.5) = 0.7071
    # -> adv = ±0.5 / 0.7071 = ±0.7071 (eps=0 to compare exactly)
    adv = group_advantages(torch.tensor([1.0, 0.0, 0.0, 1.0]), group_size=2, eps=0.0)
    s = 0.5**0.5
    torch.testing.assert_close(adv, torch.tensor([s, -s, -s, s]))


def test_group_of_four_uses_sample_not_population_std():
    # rewards [1,0,0,0], G=4: mean 0.25, deviations [0.75,-0.25,-0.25,-0.25]
    # sample var = (0.5625 + 3·0.0625) / 3 = 0.25 -> std 0.5 -> adv [1.5, -0.5, -0.5, -0.5]
    # (the population std 0.433 would give 1.732 for the first entry)
    adv = group_advantages(torch.tensor([1.0, 0.0, 0.0, 0.0]), group_size=4, eps=0.0)
    torch.testing.assert_close(adv, torch.tensor([1.5, -0.5, -0.5, -0.5]))


def test_default_eps_is_small():
    # with eps=1e-6 the ±0.7071 of the first test moves by less than 1e-5
    adv = group_advantages(torch.tensor([0.0, 1.0]), group_size=2)
    torch.testing.assert_close(adv, torch.tensor([-(0.5**0.5), 0.5**0.5]), atol=1e-5, rtol=0)


def test_groups_are_independent_and_contiguous():
    # rewards [1,1,0,0 | 0,0,0,1], G=4: group 0 mean .5, sample std sqrt(1/3) -> ±0.8660;
    # group 1 is [0,0,0,1] = mirror of [1,0,0,0] -> [-0.5,-0.5,-0.5,1.5]
    adv = group_advantages(torch.tensor([1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]), group_size=4, eps=0.0)
    a = 0.5 / (1 / 3) ** 0.5
    torch.testing.assert_close(adv, torch.tensor([a, a, -a, -a, -0.5, -0.5, -0.5, 1.5]))


@pytest.mark.parametrize("value", [0.0, 1.0])
def test_equal_reward_group_gives_zero(value):
    # all-0 and all-1 groups: r - mean = 0 and std = 0 -> 0 / eps = 0, finite
    rewards = torch.tensor([value] * 3 + [1.0, 0.0, 0.0])
    adv = group_advantages(rewards, group_size=3)
    assert torch.isfinite(adv).all()
    assert torch.equal(adv[:3], torch.zeros(3))
    assert adv[3] > 0 > adv[4]


def test_advantages_sum_to_zero_per_group():
    torch.manual_seed(0)
    rewards = torch.randint(0, 2, (6 * 5,)).float()
    adv = group_advantages(rewards, group_size=5).view(6, 5)
    torch.testing.assert_close(adv.sum(-1), torch.zeros(6), atol=1e-6, rtol=0)


def test_integer_and_bool_rewards_become_float():
    # same numbers as the first test, given as int64 and bool
    expected = group_advantages(torch.tensor([1.0, 0.0, 0.0, 1.0]), 2)
    for r in (torch.tensor([1, 0, 0, 1]), torch.tensor([True, False, False, True])):
        adv = group_advantages(r, 2)
        assert adv.dtype == torch.float32
        torch.testing.assert_close(adv, expected)


def test_does_not_modify_input():
    rewards = torch.tensor([1.0, 0.0, 0.0, 0.0])
    group_advantages(rewards, 2)
    assert torch.equal(rewards, torch.tensor([1.0, 0.0, 0.0, 0.0]))


@pytest.mark.parametrize("group_size", [1, 0, -2])
def test_group_size_below_two_raises(group_size):
    with pytest.raises(ValueError, match="group_size"):
        group_advantages(torch.tensor([1.0, 0.0]), group_size=group_size)


@pytest.mark.parametrize(
    "rewards",
    [
        torch.tensor([1.0, 0.0, 1.0]),  # 3 is not a multiple of G=2
        torch.tensor([[1.0, 0.0], [0.0, 1.0]]),  # 2-D, even though 4 % 2 == 0
        torch.tensor(1.0),  # 0-D
    ],
)
def test_wrong_shape_raises(rewards):
    with pytest.raises(ValueError, match="1-D"):
        group_advantages(rewards, group_size=2)


def test_to_tokens_broadcasts_and_zeroes_padding():
    # adv [0.5, -1.5], mask [[T,T,F],[T,F,F]] -> [[0.5,0.5,0],[-1.5,0,0]]
    adv = torch.tensor([0.5, -1.5])
    mask = torch.tensor([[True, True, False], [True, False, False]])
    out = to_tokens(adv, mask)
    assert out.shape == (2, 3)
    assert out.dtype == adv.dtype
    assert torch.equal(out, torch.tensor([[0.5, 0.5, 0.0], [-1.5, 0.0, 0.0]]))


def test_to_tokens_fully_masked_row_is_zero():
    out = to_tokens(torch.tensor([2.0, 3.0]), torch.tensor([[True, True], [False, False]]))
    assert torch.equal(out, torch.tensor([[2.0, 2.0], [0.0, 0.0]]))
