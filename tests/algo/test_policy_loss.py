"""Tests for or1.algo.policy_loss: the clipped surrogate with clip-higher, and the token-level mean."""

import math

import pytest
import torch

from or1.algo.advantage import group_advantages, to_tokens
from or1.algo.policy_loss import LossOut, clipped_surrogate, token_mean


def _one_token(ratio: float, adv: float, clip_low: float, clip_high: float) -> tuple[LossOut, torch.Tensor]:
    """Loss of one token whose ratio π_θ/π_old is `ratio`; returns the output and d loss / d logp."""
    logp = torch.tensor([[math.log(ratio)]], dtype=torch.float64, requires_grad=True)
    old = torch.zeros(1, 1, dtype=torch.float64)
    out = clipped_surrogate(logp, old, torch.tensor([[adv]], dtype=torch.float64),
                            torch.tensor([[True]]), clip_low, clip_high)
    (grad,) = torch.autograd.grad(out.per_token.sum(), logp)
    return out, grad


def test_ratio_one_is_minus_advantage():
    # ratio 1 everywhere: loss_t = -A_t, nothing clipped
    logp = torch.tensor([[-0.5, -1.0, -2.0]])
    adv = torch.tensor([[1.0, -0.5, 2.0]])
    out = clipped_surrogate(logp, logp.clone(), adv, torch.ones(1, 3, dtype=torch.bool), 0.2, 0.2)
    assert isinstance(out, LossOut)
    torch.testing.assert_close(out.per_token, -adv)
    torch.testing.assert_close(out.ratio, torch.ones(1, 3))
    assert not out.clipped.any()


def test_clip_higher_positive_advantage():
    # ratio 1.25, A=+1: with ε_high=0.2 the bound 1.2 < 1.25 -> clipped, loss -1.2, gradient 0;
    # with ε_high=0.28 the bound 1.28 > 1.25 -> unclipped, loss -1.25, d(-ρA)/dlogp = -ρA = -1.25
    out, grad = _one_token(1.25, 1.0, clip_low=0.2, clip_high=0.2)
    assert out.clipped.item()
    assert out.per_token.item() == pytest.approx(-1.2)
    assert grad.item() == 0.0
    out, grad = _one_token(1.25, 1.0, clip_low=0.2, clip_high=0.28)
    assert not out.clipped.item()
    assert out.per_token.item() == pytest.approx(-1.25)
    assert grad.item() == pytest.approx(-1.25)


def test_clip_low_negative_advantage():
    # ratio 0.75, A=-1: bound 1-0.2 = 0.8 > 0.75 -> min(-0.75, -0.8) = -0.8 -> loss 0.8, clipped, grad 0.
    # ε_high must not matter here: same result with ε_high=0.28.
    for clip_high in (0.2, 0.28):
        out, grad = _one_token(0.75, -1.0, clip_low=0.2, clip_high=clip_high)
        assert out.clipped.item()
        assert out.per_token.item() == pytest.approx(0.8)
        assert grad.item() == 0.0
    # ε_low=0.3 puts the bound at 0.7 < 0.75 -> unclipped: loss 0.75, grad -ρA = 0.75
    out, grad = _one_token(0.75, -1.0, clip_low=0.3, clip_high=0.2)
    assert not out.clipped.item()
    assert out.per_token.item() == pytest.approx(0.75)
    assert grad.item() == pytest.approx(0.75)


@pytest.mark.parametrize(
    ("ratio", "adv", "loss"),
    [
        # moving the ratio the "wrong" way for the advantage is never clipped (pessimistic min):
        (1.25, -1.0, 1.25),  # min(-1.25, -1.2) = -1.25 -> loss 1.25, gradient -ρA = 1.25
        (0.75, 1.0, -0.75),  # min(0.75, 0.8) = 0.75 -> loss -0.75, gradient -ρA = -0.75
    ],
)
def test_pessimistic_side_is_not_clipped(ratio, adv, loss):
    out, grad = _one_token(ratio, adv, clip_low=0.2, clip_high=0.2)
    assert not out.clipped.item()
    assert out.per_token.item() == pytest.approx(loss)
    assert grad.item() == pytest.approx(loss)


def test_zero_advantage_is_never_clipped():
    out, grad = _one_token(2.0, 0.0, clip_low=0.2, clip_high=0.2)
    assert not out.clipped.item()
    assert out.per_token.item() == 0.0
    assert grad.item() == 0.0


def test_gradient_zero_exactly_on_clipped_tokens():
    # ratios [1.25, 1.1, 0.75, 0.9] with A [+1, +1, -1, -1], ε 0.2/0.2:
    # token 0 (1.25 > 1.2, A>0) and token 2 (0.75 < 0.8, A<0) clipped -> grad 0;
    # tokens 1, 3 inside the range -> grad -ρA = [-1.1, 0.9]
    ratio = torch.tensor([[1.25, 1.1, 0.75, 0.9]], dtype=torch.float64)
    logp = ratio.log().requires_grad_()
    adv = torch.tensor([[1.0, 1.0, -1.0, -1.0]], dtype=torch.float64)
    out = clipped_surrogate(logp, torch.zeros_like(ratio), adv, torch.ones(1, 4, dtype=torch.bool), 0.2, 0.2)
    assert out.clipped.tolist() == [[True, False, True, False]]
    (grad,) = torch.autograd.grad(out.per_token.sum(), logp)
    torch.testing.assert_close(grad, torch.tensor([[0.0, -1.1, 0.0, 0.9]], dtype=torch.float64))
    torch.testing.assert_close(out.ratio, ratio)
    assert not out.ratio.requires_grad


def test_clip_fraction_from_clipped_flag():
    # row 0: ratios [1.25, 1.0, 0.75] A=[1,1,-1] -> clipped [T,F,T]; row 1: ratio 1.5, A=1 -> clipped,
    # but only its first token counts (the masked ones are never flagged).
    # clip fraction over the 4 counted tokens = (2 + 1) / 4 = 0.75; over row 0 alone 2/3
    ratio = torch.tensor([[1.25, 1.0, 0.75], [1.5, 1.5, 1.5]])
    adv = torch.tensor([[1.0, 1.0, -1.0], [1.0, 1.0, 1.0]])
    mask = torch.tensor([[True, True, True], [True, False, False]])
    out = clipped_surrogate(ratio.log(), torch.zeros(2, 3), adv, mask, 0.2, 0.2)
    assert out.clipped.tolist() == [[True, False, True], [True, False, False]]
    frac = token_mean(out.clipped.float(), mask, num_tokens=int(mask.sum()))
    assert frac.item() == 0.75
    frac_row0 = token_mean(out.clipped[:1].float(), mask[:1], num_tokens=3)
    assert frac_row0.item() == pytest.approx(2 / 3)


def test_masked_tokens_contribute_zero():
    # second row fully masked, with finite arbitrary values: loss 0 and gradient 0 there
    logp = torch.tensor([[-0.2, -0.4], [-3.0, -0.1]], requires_grad=True)
    old = torch.tensor([[-0.2, -0.4], [-0.5, -2.0]])
    adv = torch.tensor([[1.0, 1.0], [5.0, -5.0]])
    mask = torch.tensor([[True, True], [False, False]])
    out = clipped_surrogate(logp, old, adv, mask, 0.2, 0.2)
    assert torch.equal(out.per_token[1], torch.zeros(2))
    assert not out.clipped[1].any()
    loss = token_mean(out.per_token, mask, num_tokens=2)  # (-1 - 1) / 2 = -1
    assert loss.item() == pytest.approx(-1.0)
    loss.backward()
    assert torch.equal(logp.grad[1], torch.zeros(2))
    torch.testing.assert_close(logp.grad[0], torch.tensor([-0.5, -0.5]))


def test_masked_tokens_with_large_log_ratio_do_not_poison_loss():
    # Padding positions may hold any finite numbers (e.g. a rollout engine filling old_logp with a large
    # negative sentinel). There the log-ratio is 100, exp overflows to inf, and inf·A (A = 0 from to_tokens)
    # or inf·0 (mask) is NaN. Masked tokens must contribute exactly 0 to the loss and gradient.
    logp = torch.tensor([[-0.1, -0.2], [-1.0, 0.0]], requires_grad=True)
    old = torch.tensor([[-0.1, -0.2], [-101.0, -100.0]])
    mask = torch.tensor([[True, True], [False, False]])
    adv = to_tokens(torch.tensor([1.0, 1.0]), mask)  # 0 on the masked row
    out = clipped_surrogate(logp, old, adv, mask, 0.2, 0.2)
    loss = token_mean(out.per_token, mask, num_tokens=2)  # expected (-1 - 1) / 2 = -1
    loss.backward()
    assert torch.isfinite(loss), "masked tokens with a large log-ratio make the loss NaN (exp overflow × 0)"
    assert loss.item() == pytest.approx(-1.0)
    assert torch.equal(logp.grad[1], torch.zeros(2)), "masked tokens must get a zero gradient"


def test_token_mean_hand_values():
    # x [[1,2,3],[4,5,6]], mask [[T,T,F],[T,F,F]]: counted sum 1+2+4 = 7; num_tokens 3 -> 7/3,
    # num_tokens 14 (a larger mini-batch) -> 0.5
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    mask = torch.tensor([[True, True, False], [True, False, False]])
    assert token_mean(x, mask, 3).item() == pytest.approx(7 / 3)
    assert token_mean(x, mask, 14).item() == 0.5


@pytest.mark.parametrize("num_tokens", [0, -1, 0.0])
def test_token_mean_rejects_non_positive_count(num_tokens):
    with pytest.raises(ValueError, match="num_tokens"):
        token_mean(torch.ones(1, 2), torch.ones(1, 2, dtype=torch.bool), num_tokens)


def test_token_mean_micro_batch_sum_equals_full_mean_exactly():
    # 4 responses with 4, 1, 3, 0 counted tokens: 8 tokens in all. Values are multiples of 1/4 and 8 is a
    # power of two, so every partial sum is exact and the two computations must agree bit for bit.
    x = torch.tensor([[0.25, -1.5, 2.0, 0.75],
                      [3.0, 9.0, 9.0, 9.0],
                      [-0.5, 1.25, 4.0, 9.0],
                      [9.0, 9.0, 9.0, 9.0]])
    mask = torch.tensor([[True, True, True, True],
                         [True, False, False, False],
                         [True, True, True, False],
                         [False, False, False, False]])
    n = int(mask.sum())
    full = token_mean(x, mask, n)  # (0.25 - 1.5 + 2 + 0.75 + 3 - 0.5 + 1.25 + 4) / 8 = 9.25 / 8
    assert full.item() == 9.25 / 8
    for splits in ([1, 1, 1, 1], [2, 2], [1, 3], [3, 1]):
        parts = zip(x.split(splits), mask.split(splits), strict=True)
        assert torch.equal(sum(token_mean(xi, mi, n) for xi, mi in parts), full), splits
    # the original's weighting, a mean per micro-batch then a mean of those, differs for splits [2, 2]:
    # micro-batch 0 has 5 tokens summing to 4.5 -> 0.9; micro-batch 1 has 3 summing to 4.75 -> 1.5833;
    # (0.9 + 1.5833) / 2 = 1.2417 != 1.15625
    naive = token_mean(x[:2], mask[:2], 5) / 2 + token_mean(x[2:], mask[2:], 3) / 2
    assert naive.item() == pytest.approx((0.9 + 4.75 / 3) / 2)
    assert naive.item() != pytest.approx(full.item())


def test_token_mean_micro_batch_gradient_invariance():
    # gradient w.r.t. logp of one mini-batch equals the sum of its 1-response micro-batches' gradients
    torch.manual_seed(0)
    logp = (-torch.rand(4, 5, dtype=torch.float64)).requires_grad_()
    old = logp.detach() + 0.1 * torch.randn(4, 5, dtype=torch.float64)
    lengths = torch.tensor([5, 2, 4, 1])
    mask = torch.arange(5)[None, :] < lengths[:, None]
    adv = to_tokens(group_advantages(torch.tensor([1.0, 0.0, 1.0, 1.0]), 2).double(), mask)
    n = int(mask.sum())
    full = token_mean(clipped_surrogate(logp, old, adv, mask, 0.2, 0.28).per_token, mask, n)
    (g_full,) = torch.autograd.grad(full, logp)
    g_micro = torch.zeros_like(logp)
    for i in range(4):
        sl = slice(i, i + 1)
        part = token_mean(clipped_surrogate(logp[sl], old[sl], adv[sl], mask[sl], 0.2, 0.28).per_token,
                          mask[sl], n)
        (g,) = torch.autograd.grad(part, logp)
        g_micro += g
    torch.testing.assert_close(g_micro, g_full, rtol=1e-12, atol=1e-15)


def test_on_policy_gradient_equals_reinforce():
    # Mini-batch = batch, ratio 1 (old_logp = logp.detach()): the PPO loss gradient is
    # -Σ_t A_t ∇logp_t / num_tokens. Check it on a tiny linear policy: logits = h @ W, V = 5, D = 3.
    torch.manual_seed(0)
    N, T, D, V = 4, 3, 3, 5
    W = torch.randn(D, V, dtype=torch.float64, requires_grad=True)
    h = torch.randn(N, T, D, dtype=torch.float64)  # (N, T, D) hidden states
    tokens = torch.randint(0, V, (N, T))  # (N, T) sampled tokens
    mask = torch.tensor([[True, True, True], [True, True, False], [True, False, False], [False] * 3])
    adv = to_tokens(group_advantages(torch.tensor([1.0, 0.0, 0.0, 0.0]), 2).double(), mask)
    n = int(mask.sum())

    def logp_of(weight):
        logits = h @ weight  # (N, T, V)
        return logits.log_softmax(-1).gather(-1, tokens[..., None]).squeeze(-1)  # (N, T)

    logp = logp_of(W)
    ppo = token_mean(clipped_surrogate(logp, logp.detach(), adv, mask, 0.2, 0.28).per_token, mask, n)
    (g_ppo,) = torch.autograd.grad(ppo, W)
    reinforce = -(adv * logp_of(W) * mask).sum() / n
    (g_ref,) = torch.autograd.grad(reinforce, W)
    assert g_ref.abs().max() > 1e-3  # the comparison is not between two zeros
    torch.testing.assert_close(g_ppo, g_ref, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(ppo, -(adv * mask).sum() / n)  # value at ratio 1: -mean A
