"""Tests for or1.algo.entropy: token entropy, the rollout estimate and the adaptive controller."""

import math

import pytest
import torch

from or1.algo.entropy import AdaptiveEntropyController, estimate_entropy, token_entropy
from or1.config import EntropyConfig


@pytest.mark.parametrize("V", [2, 5, 151])
def test_uniform_logits_give_log_v(V):
    # p = 1/V everywhere -> H = log V, whatever the common logit value
    logits = torch.full((2, 3, V), 7.5)
    h = token_entropy(logits)
    assert h.shape == (2, 3)
    torch.testing.assert_close(h, torch.full((2, 3), math.log(V)))


def test_one_hot_like_distribution_is_near_zero():
    # logits [100, 0, 0, 0]: p_other ≈ e^-100, H ≈ 3·100·e^-100 ≈ 0
    h = token_entropy(torch.tensor([[100.0, 0.0, 0.0, 0.0]]))
    assert h.shape == (1,)
    assert 0.0 <= h.item() < 1e-6


def test_two_way_hand_value():
    # logits [log 3, 0] -> p = [0.75, 0.25]; H = -(0.75 ln 0.75 + 0.25 ln 0.25) = 0.5623
    h = token_entropy(torch.tensor([math.log(3.0), 0.0]))
    expected = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    assert h.item() == pytest.approx(expected, rel=1e-6)
    assert expected == pytest.approx(0.5623, abs=1e-4)


def test_matches_direct_formula_and_upcasts():
    torch.manual_seed(0)
    logits = 3 * torch.randn(4, 6, 11)
    p = logits.double().softmax(-1)
    direct = -(p * p.log()).sum(-1)  # -Σ p log p
    torch.testing.assert_close(token_entropy(logits).double(), direct, rtol=1e-5, atol=1e-6)
    # bf16 logits are computed in float32 and give the same answer as the float32 path
    h16 = token_entropy(logits.bfloat16())
    assert h16.dtype == torch.float32
    torch.testing.assert_close(h16, token_entropy(logits.bfloat16().float()))


def test_token_entropy_is_shift_invariant():
    logits = torch.tensor([[0.3, -1.2, 2.0, 0.0]])
    torch.testing.assert_close(token_entropy(logits), token_entropy(logits + 50.0))


def test_estimate_entropy_hand_values():
    # counted old_logp -1, -2, -3 (the -10 is padding) -> H_est = (1 + 2 + 3) / 3 = 2
    old_logp = torch.tensor([[-1.0, -2.0], [-3.0, -10.0]])
    mask = torch.tensor([[True, True], [True, False]])
    est = estimate_entropy(old_logp, mask)
    assert isinstance(est, float)
    assert est == pytest.approx(2.0)


def test_estimate_entropy_empty_mask_is_zero():
    assert estimate_entropy(torch.tensor([[-1.0, -2.0]]), torch.zeros(1, 2, dtype=torch.bool)) == 0.0


def test_estimate_entropy_is_unbiased_in_expectation():
    # tokens sampled from p: E[-log p(x)] = H(p); 20k samples put the mean within ~0.02 of H
    gen = torch.Generator().manual_seed(0)
    logits = torch.tensor([2.0, 0.5, 0.0, -1.0])
    logp = logits.log_softmax(-1)
    x = torch.multinomial(logp.exp(), 20_000, replacement=True, generator=gen)
    est = estimate_entropy(logp[x][None, :], torch.ones(1, 20_000, dtype=torch.bool))
    assert est == pytest.approx(token_entropy(logits).item(), abs=0.02)


# --- AdaptiveEntropyController ---------------------------------------------------------------------


def controller(**changes: float) -> AdaptiveEntropyController:
    """The recipe's controller (config.EntropyConfig's values) with some values changed."""
    e = EntropyConfig()
    return AdaptiveEntropyController(**{"target": e.target, "delta": e.delta, "coef_max": e.coef_max,
                                        "coef": e.coef, **changes})


def test_controller_defaults_are_the_recipe():
    """The recipe's values are written once, in config.py; the controller takes them from there."""
    e = EntropyConfig()
    c = AdaptiveEntropyController(e.target, e.delta, e.coef_max, e.coef)
    assert (c.target, c.delta, c.coef_max, c.coef) == (0.2, 1e-4, 0.005, 0.0)


def test_coef_rises_by_delta_while_below_target():
    # H = 0.1 < H* = 0.2 three times: α 0 -> 1e-3 -> 2e-3 -> 3e-3
    c = AdaptiveEntropyController(target=0.2, delta=1e-3, coef_max=0.005, coef=0.0)
    assert c.update(0.1) == pytest.approx(1e-3)
    assert c.update(0.1) == pytest.approx(2e-3)
    assert c.update(0.1) == pytest.approx(3e-3)
    assert c.coef == pytest.approx(3e-3)


def test_coef_falls_by_delta_when_above_target():
    # start at α = 3e-3, H = 0.5 > 0.2: α -> 2e-3 -> 1e-3
    c = AdaptiveEntropyController(target=0.2, delta=1e-3, coef_max=0.005, coef=3e-3)
    assert c.update(0.5) == pytest.approx(2e-3)
    assert c.update(0.5) == pytest.approx(1e-3)


def test_entropy_at_target_counts_as_not_below():
    # H_est == H*: the rule is "α + Δ if H_est < H*", so α falls and the bonus is off
    c = AdaptiveEntropyController(target=0.2, delta=1e-3, coef_max=0.005, coef=2e-3)
    assert not c.is_active(0.2)
    assert c.update(0.2) == pytest.approx(1e-3)


def test_coef_clipped_at_zero():
    c = AdaptiveEntropyController(target=0.2, delta=1e-3, coef_max=0.005, coef=0.0)
    assert c.update(0.9) == 0.0  # would be -1e-3
    c = AdaptiveEntropyController(target=0.2, delta=1e-3, coef_max=0.005, coef=5e-4)
    assert c.update(0.9) == 0.0  # 5e-4 - 1e-3 = -5e-4 -> 0


def test_coef_clipped_at_max():
    c = AdaptiveEntropyController(target=0.2, delta=1e-3, coef_max=0.005, coef=0.005)
    assert c.update(0.0) == 0.005  # would be 0.006
    c = AdaptiveEntropyController(target=0.2, delta=1e-3, coef_max=0.005, coef=0.0045)
    assert c.update(0.0) == 0.005  # 0.0055 -> 0.005
    for _ in range(10):
        c.update(0.0)
    assert c.coef == 0.005
    assert c.update(1.0) == pytest.approx(0.004)  # and it comes back down from the bound


def test_is_active_only_below_target():
    c = AdaptiveEntropyController(target=0.2, delta=1e-4, coef_max=0.005, coef=0.0)
    assert c.is_active(0.19)
    assert c.is_active(0.0)
    assert not c.is_active(0.2)
    assert not c.is_active(0.21)


def test_is_active_does_not_change_state():
    c = controller(coef=0.001)
    c.is_active(0.0)
    c.is_active(1.0)
    assert c.coef == 0.001


def test_state_dict_round_trip():
    c = controller(target=0.3, delta=1e-4, coef_max=0.005)
    for h in (0.1, 0.1, 0.1, 0.5, 0.1):
        c.update(h)
    state = c.state_dict()
    restored = controller()
    restored.load_state_dict(state)
    assert restored == c
    assert restored.state_dict() == state
    # the restored controller continues the same trajectory bit for bit
    for h in (0.1, 0.4, 0.05):
        assert restored.update(h) == c.update(h)


def test_state_dict_is_a_copy():
    c = controller()
    state = c.state_dict()
    c.update(0.0)
    assert state["coef"] == 0.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"delta": -1e-4},
        {"coef_max": -0.001, "coef": 0.0},
        {"coef": -1e-4},
        {"coef": 0.006, "coef_max": 0.005},
    ],
)
def test_invalid_init_raises(kwargs):
    with pytest.raises(ValueError):
        controller(**kwargs)


def test_boundary_init_is_valid():
    controller(delta=0.0, coef_max=0.0, coef=0.0)
    controller(coef=0.005, coef_max=0.005)
