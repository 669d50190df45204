"""The mini-batch objective: token-mean PPO loss minus α · token-mean entropy, with worked numbers."""

from __future__ import annotations

import pytest
import torch

from or1.algo.objective import objective


def test_worked_example():
    """The docstring's numbers: ℓ = [1, 3], H = [0.5, 0.5], n = 4, α = 0.1."""
    ell, h, m = torch.tensor([[1.0, 3.0]]), torch.tensor([[0.5, 0.5]]), torch.ones(1, 2, dtype=torch.bool)
    out = objective(ell, h, m, 4, 0.1)
    assert out.policy.item() == pytest.approx(1.0)
    assert out.entropy.item() == pytest.approx(0.25)
    assert out.loss.item() == pytest.approx(0.975)


@pytest.mark.parametrize(("coef", "masked", "expect"), [
    (0.0, False, 1.0),  # α = 0: the plain PPO loss
    (0.2, False, 1.0 - 0.2 * 0.25),
    (0.2, True, 0.5 - 0.2 * 0.125),  # the second token masked: only the first counts, n stays 4
])
def test_edge_cases(coef, masked, expect):
    ell, h = torch.tensor([[2.0, 2.0]]), torch.tensor([[0.5, 0.5]])
    m = torch.tensor([[True, not masked]])
    assert objective(ell, h, m, 4, coef).loss.item() == pytest.approx(expect)


def test_micro_batch_shares_sum_to_the_mini_batch_loss():
    """Split the rows anyhow: with the mini-batch's token count, the shares add up to the whole."""
    gen = torch.Generator().manual_seed(0)
    ell, h = torch.randn(6, 5, generator=gen), torch.rand(6, 5, generator=gen)
    m = torch.rand(6, 5, generator=gen) > 0.3
    n = int(m.sum())
    whole = objective(ell, h, m, n, 0.01).loss
    parts = sum(objective(ell[s], h[s], m[s], n, 0.01).loss for s in (slice(0, 1), slice(1, 4), slice(4, 6)))
    assert torch.allclose(whole, parts, atol=1e-6)


def test_no_entropy_gradient_when_alpha_is_zero():
    """α = 0 leaves the entropy out of the graph: a NaN in it cannot reach the gradient."""
    ell = torch.tensor([[1.0, 2.0]], requires_grad=True)
    h = torch.tensor([[float("nan"), 0.5]], requires_grad=True)
    out = objective(ell, h, torch.ones(1, 2, dtype=torch.bool), 2, 0.0)
    out.loss.backward()
    assert torch.isfinite(ell.grad).all() and h.grad is None
