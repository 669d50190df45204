"""The policy update: micro-batching never changes the result; entropy bonus and truncation mask act."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest
import torch

from or1.config import AlgoConfig
from or1.rollout.hf_engine import HFEngine
from or1.rollout.prompts import encode_prompt, eos_token_ids
from or1.rollout.types import RolloutBatch, SamplingParams
from or1.trainer.update import algo_numbers, policy_update, recompute_old_logp


def _batch(tok, model, groups=4, g=4) -> RolloutBatch:
    prompts = [encode_prompt(tok, [{"role": "user", "content": f"{i}+{i}-1"}]) for i in range(1, groups + 1)]
    rb = HFEngine(model, eos_token_ids(tok), tok.pad_token_id).generate(
        prompts, SamplingParams(n=g, max_tokens=10 + groups), seed=0)
    rewards = torch.tensor([1.0, 0.0, 0.0, 1.0] * groups)[: groups * g]
    return replace(rb, rewards=rewards)


def _update(model, batch, micro, **kw):
    model = copy.deepcopy(model)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    algo = AlgoConfig(lr=0.1, micro_batch_size=micro, **kw.pop("algo", {}))
    stats = policy_update(model, opt, batch, mini_batch_groups=kw.pop("mini", 4), **algo_numbers(algo), temperature=1.0,
                          entropy_coef=kw.pop("coef", 0.0), pad_id=0, token_weight=kw.pop("token_weight", None))
    return model, stats


def _max_diff(a, b) -> float:
    return max((p - q).abs().max().item() for p, q in zip(a.parameters(), b.parameters(), strict=True))


def test_micro_batching_gives_the_same_update(tokenizer, tiny_model):
    batch = _batch(tokenizer, tiny_model)
    one, s1 = _update(tiny_model, batch, micro=16)
    many, s4 = _update(tiny_model, batch, micro=3)  # uneven micro-batches on purpose
    assert _max_diff(one, tiny_model) > 1e-4  # the update did something
    assert _max_diff(one, many) < 1e-6
    assert abs(s1["loss/policy"] - s4["loss/policy"]) < 1e-6


def test_token_budget_micro_batches_give_the_same_update(tokenizer, tiny_model):
    batch = _batch(tokenizer, tiny_model)
    one, s1 = _update(tiny_model, batch, micro=16)
    budget, s2 = _update(tiny_model, batch, micro=16, algo={"micro_batch_tokens": 40})  # 1-2 rows each
    assert _max_diff(one, budget) < 1e-6
    assert abs(s1["loss/policy"] - s2["loss/policy"]) < 1e-6


def test_rank_shares_sum_to_the_one_process_gradient(tokenizer, tiny_model):
    """Each rank's backward is its part of the global token mean: the parts add up to one process's."""
    batch = _batch(tokenizer, tiny_model, groups=5)  # 5 groups over 2 ranks: shares of 2 and 3 groups
    algo = AlgoConfig(lr=0.1, micro_batch_size=3, grad_clip=1e9)  # the clip would rescale each rank alone
    grads = []
    for rank, world in [(0, 1), (0, 2), (1, 2)]:
        model = copy.deepcopy(tiny_model)
        opt = torch.optim.SGD(model.parameters(), lr=0.0)  # keep the weights: compare gradients only
        policy_update(model, opt, batch, mini_batch_groups=5, **algo_numbers(algo), temperature=1.0, entropy_coef=1e-3,
                      pad_id=0, rank=rank, world_size=world)
        grads.append([q.grad.clone() for q in model.parameters()])
    whole, r0, r1 = grads
    assert max((a - b - c).abs().max().item() for a, b, c in zip(whole, r0, r1, strict=True)) < 1e-6
    assert max((a - b).abs().max().item() for a, b in zip(whole, r0, strict=True)) > 1e-4  # a share is not all


def test_mini_batches_count_optimizer_steps(tokenizer, tiny_model):
    batch = _batch(tokenizer, tiny_model)
    _, on_policy = _update(tiny_model, batch, micro=16, mini=4)
    _, off_policy = _update(tiny_model, batch, micro=16, mini=1)
    assert on_policy["update/steps"] == 1 and off_policy["update/steps"] == 4
    assert abs(on_policy["ratio/mean"] - 1.0) < 1e-4  # on-policy: π_θ = π_old up to decode/forward rounding
    assert off_policy["clip/frac"] >= 0.0


def test_entropy_bonus_and_zero_advantage(tokenizer, tiny_model):
    batch = _batch(tokenizer, tiny_model)
    batch.rewards = torch.zeros_like(batch.rewards)  # all groups equal: zero advantage everywhere
    none, _ = _update(tiny_model, batch, micro=16)
    assert _max_diff(none, tiny_model) == 0.0
    bonus, stats = _update(tiny_model, batch, micro=16, coef=0.01)
    assert _max_diff(bonus, tiny_model) > 0.0 and stats["loss/entropy_bonus"] > 0


def test_truncation_mask_drops_truncated_rows(tokenizer, tiny_model):
    batch = _batch(tokenizer, tiny_model)
    batch.truncated = torch.ones_like(batch.truncated)
    masked, stats = _update(tiny_model, batch, micro=16, algo={"mask_truncated": True})
    assert stats["update/steps"] == 0 and _max_diff(masked, tiny_model) == 0.0
    kept, stats = _update(tiny_model, batch, micro=16)  # default: truncated responses still train
    assert stats["update/steps"] == 1 and _max_diff(kept, tiny_model) > 0.0


def test_recomputed_old_logp_matches_rollout(tokenizer, tiny_model):
    batch = _batch(tokenizer, tiny_model)
    again = recompute_old_logp(tiny_model, batch, 1.0, tokenizer.pad_token_id, micro_batch_size=5)
    assert torch.allclose(again, batch.old_logp, atol=1e-4)


def test_token_weights_of_one_change_nothing_and_scale_the_loss(tokenizer, tiny_model):
    """The truncated importance weights multiply each token's surrogate loss: all-ones is bitwise no weight,
    all-twos doubles the loss and (without the clip) the step."""
    batch = _batch(tokenizer, tiny_model)
    algo = {"grad_clip": 1e9}
    plain, s0 = _update(tiny_model, batch, micro=5, algo=algo)
    ones, s1 = _update(tiny_model, batch, micro=5, algo=algo, token_weight=torch.ones(batch.resp_mask.shape))
    assert _max_diff(plain, ones) == 0.0 and s0 == s1
    twos, s2 = _update(tiny_model, batch, micro=5, mini=16, algo=algo,
                       token_weight=torch.full(batch.resp_mask.shape, 2.0))
    one_step, s3 = _update(tiny_model, batch, micro=5, mini=16, algo=algo)
    assert s2["loss/policy"] == pytest.approx(2 * s3["loss/policy"], rel=1e-5)
    step2 = [p - q for p, q in zip(twos.parameters(), tiny_model.parameters(), strict=True)]
    step1 = [p - q for p, q in zip(one_step.parameters(), tiny_model.parameters(), strict=True)]
    assert all(torch.allclose(a, 2 * b, atol=1e-6) for a, b in zip(step2, step1, strict=True))
