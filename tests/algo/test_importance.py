"""Truncated importance weights: worked numbers, an edge-case table, and the properties the update needs."""

from __future__ import annotations

import math

import pytest
import torch

from or1.algo.importance import truncated_importance_weights as tis

M2 = torch.ones(1, 2, dtype=torch.bool)


def test_worked_example_token_level():
    """The docstring's numbers: ratios [1, e] under cap 2 -> weights [1, 2], the second clipped."""
    out = tis(torch.tensor([[-1.0, -0.5]]), torch.tensor([[-1.0, -1.5]]), M2, cap=2.0)
    assert out.weight[0].tolist() == pytest.approx([1.0, 2.0])
    assert out.clipped.tolist() == [[False, True]]
    assert out.kl[0, 0].item() == 0.0 and out.kl[0, 1].item() == pytest.approx(math.e - 2.0)


def test_worked_example_sequence_level():
    """Sequence level: the product of the ratios, e, weighs every token of the response; capped at 2."""
    out = tis(torch.tensor([[-1.0, -0.5]]), torch.tensor([[-1.0, -1.5]]), M2, cap=2.0, level="sequence")
    assert out.weight[0].tolist() == pytest.approx([2.0, 2.0]) and out.clipped.tolist() == [[True, True]]
    out = tis(torch.tensor([[-1.0, -0.5]]), torch.tensor([[-1.0, -1.5]]), M2, cap=5.0, level="sequence")
    assert out.weight[0].tolist() == pytest.approx([math.e, math.e]) and not out.clipped.any()


@pytest.mark.parametrize(("old", "beh", "cap", "weight", "clipped"), [
    (-1.0, -1.0, 2.0, 1.0, False),        # same policy: weight 1, nothing to correct
    (-3.0, -1.0, 2.0, math.exp(-2), False),  # π_β liked the token more: down-weighted, never capped
    (0.0, -50.0, 2.0, 2.0, True),          # π_β found it near-impossible: e^50 capped, no overflow
    (0.0, -1e4, 1.5, 1.5, True),           # an absurd gap: still finite
    (-1.0, -2.0, math.e, math.e, False),   # exactly at the cap: not counted as clipped
])
def test_edge_cases(old, beh, cap, weight, clipped):
    out = tis(torch.tensor([[old]]), torch.tensor([[beh]]), torch.ones(1, 1, dtype=torch.bool), cap=cap)
    assert out.weight.item() == pytest.approx(weight, rel=1e-5) and bool(out.clipped.item()) is clipped
    assert torch.isfinite(out.kl).all() and out.kl.item() >= 0


def test_padding_has_no_weight_and_does_not_move_the_sequence_weight():
    old = torch.tensor([[-1.0, 9.0], [-1.0, -1.0]])
    beh = torch.tensor([[-1.5, -9.0], [-1.0, -1.0]])
    mask = torch.tensor([[True, False], [True, True]])
    for level in ("token", "sequence"):
        out = tis(old, beh, mask, cap=10.0, level=level)
        assert out.weight[0, 1] == 0 and out.kl[0, 1] == 0 and not out.clipped[0, 1]
        assert out.weight[0, 0].item() == pytest.approx(math.exp(0.5))  # the padded column left out


def test_weights_are_bounded_and_carry_no_gradient():
    gen = torch.Generator().manual_seed(0)
    old = torch.randn(8, 16, generator=gen, requires_grad=True)
    beh = torch.randn(8, 16, generator=gen) * 3
    mask = torch.rand(8, 16, generator=gen) > 0.2
    for level in ("token", "sequence"):
        out = tis(old, beh, mask, cap=2.0, level=level)
        assert not out.weight.requires_grad
        assert (out.weight <= 2.0 + 1e-6).all() and (out.weight >= 0).all() and (out.kl >= 0).all()
        assert (out.clipped <= mask).all()


@pytest.mark.parametrize(("cap", "level", "match"), [(0.0, "token", "tis_cap"), (-1.0, "token", "tis_cap"),
                                                      (2.0, "tokens", "tis_level")])
def test_bad_settings_name_the_key(cap, level, match):
    with pytest.raises(ValueError, match=match):
        tis(torch.zeros(1, 1), torch.zeros(1, 1), torch.ones(1, 1, dtype=torch.bool), cap=cap, level=level)
