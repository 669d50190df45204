"""Training precision in one process: mixed precision learns at the paper's lr, computes in bf16, keeps fp32
state; pure bf16 weights lose most updates and say so at setup."""

from __future__ import annotations

import copy
import logging
from dataclasses import replace

import pytest
import torch

from conftest import write_config
from or1.config import AlgoConfig, ConfigError, RolloutConfig
from or1.config_load import load_config
from or1.distributed import wrap_model
from or1.distributed.precision import Precision, bf16_update_check, choose_precision, precision_of
from or1.rollout.hf_engine import HFEngine
from or1.rollout.prompts import encode_prompt, eos_token_ids
from or1.rollout.types import RolloutBatch, SamplingParams
from or1.trainer.loop import _close
from or1.trainer.run import setup
from or1.trainer.setup import build_engine, build_optimizer
from or1.trainer.update import algo_numbers, policy_update, recompute_old_logp

LR = 1e-6  # the paper's constant learning rate


def _batch(tok, model, groups=2, g=4) -> RolloutBatch:
    prompts = [encode_prompt(tok, [{"role": "user", "content": f"{i}+{i}-1"}]) for i in range(1, groups + 1)]
    rb = HFEngine(model, eos_token_ids(tok), tok.pad_token_id).generate(
        prompts, SamplingParams(n=g, max_tokens=12), seed=0)
    rewards = torch.tensor([1.0, 0.0, 0.0, 1.0] * groups)[: groups * g]
    return replace(rb, rewards=rewards)


def _two_adamw_steps(model, batch) -> tuple[torch.optim.Optimizer, dict[str, float]]:
    """Two optimiser steps at lr 1e-6: one policy update over two mini-batches of one group each."""
    opt = build_optimizer(model, AlgoConfig(lr=LR, micro_batch_size=8))
    stats = policy_update(model, opt, batch, mini_batch_groups=1, **algo_numbers(AlgoConfig(lr=LR, micro_batch_size=8)),
                          temperature=1.0, entropy_coef=0.0, pad_id=0)
    assert stats["update/steps"] == 2
    return opt, stats


def _changed_frac(before, after) -> float:
    changed = sum(int((p.float() != q.float()).sum()) for p, q in zip(before.parameters(), after.parameters(),
                                                                          strict=True))
    return changed / sum(p.numel() for p in before.parameters())


@pytest.mark.parametrize(("mixed", "world", "dtype", "want"), [
    (True, 1, torch.float32, Precision(torch.float32, torch.bfloat16, autocast=True)),  # autocast here
    (True, 2, torch.float32, Precision(torch.float32, torch.bfloat16, autocast=False)),  # FSDP2 casts
    (False, 1, torch.float32, Precision(torch.float32, torch.float32, autocast=False)),
    (False, 2, torch.bfloat16, Precision(torch.bfloat16, torch.bfloat16, autocast=False)),  # pure bf16
])
def test_choose_precision(mixed, world, dtype, want):
    assert choose_precision(mixed, world, dtype) == want


def test_fsdp_policy_is_bf16_params_fp32_reduce():
    mp = choose_precision(True, 2, torch.float32).fsdp_policy()
    assert (mp.param_dtype, mp.reduce_dtype) == (torch.bfloat16, torch.float32)


def test_mixed_precision_on_bf16_weights_is_a_config_error(tiny_model):
    with pytest.raises(ConfigError, match=r"mixed_precision=true needs fp32 master weights.*model\.dtype: float32"):
        wrap_model(tiny_model.to(torch.bfloat16), mixed_precision=True)


def test_mixed_precision_learns_at_the_paper_lr_and_pure_bf16_does_not(tokenizer, tiny_model):
    batch = _batch(tokenizer, tiny_model)
    mixed = wrap_model(copy.deepcopy(tiny_model), mixed_precision=True)  # one process: no torchrun
    seen: list[torch.dtype] = []
    mixed.model.layers[0].self_attn.q_proj.register_forward_hook(lambda _m, _i, out: seen.append(out.dtype))
    opt, _ = _two_adamw_steps(mixed, batch)
    assert seen and set(seen) == {torch.bfloat16}  # learnt with bf16 compute, not by training in fp32
    pure = wrap_model(copy.deepcopy(tiny_model).to(torch.bfloat16), mixed_precision=False)
    pure_start = copy.deepcopy(pure)
    _two_adamw_steps(pure, batch)
    # Seen: 1.0 mixed, 0.021 pure bf16 (a step of 1e-6 moves only bf16 weights with |w| < ~5e-4).
    assert _changed_frac(tiny_model, mixed) > 0.95
    assert _changed_frac(pure_start, pure) < 0.05
    # fp32 master weights, gradients and AdamW moments
    assert all(p.dtype == torch.float32 and p.grad.dtype == torch.float32 for p in mixed.parameters())
    moments = [s[k] for s in opt.state.values() for k in ("exp_avg", "exp_avg_sq")]
    assert moments and all(m.dtype == torch.float32 for m in moments)


def test_forwards_compute_in_bf16_and_ratio_starts_at_one(tokenizer, tiny_model):
    model = wrap_model(copy.deepcopy(tiny_model), mixed_precision=True)
    seen: list[tuple[torch.dtype, bool]] = []
    model.model.layers[0].mlp.down_proj.register_forward_hook(
        lambda _m, _i, out: seen.append((out.dtype, torch.is_autocast_enabled("cpu"))))
    batch = _batch(tokenizer, tiny_model)  # sampled from the fp32 model, no hook
    batch.old_logp = recompute_old_logp(model, batch, 1.0, 0, micro_batch_size=8)
    fp32 = recompute_old_logp(tiny_model, batch, 1.0, 0, micro_batch_size=8)  # the same weights, no autocast
    err = ((batch.old_logp - fp32).abs() * batch.resp_mask).max().item()
    assert 1e-4 < err < 0.5  # bf16-sized: 8 significant bits, not fp32's 24 (seen 2e-3)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    stats = policy_update(model, opt, batch, mini_batch_groups=2, **algo_numbers(AlgoConfig(lr=LR, micro_batch_size=8)),
                          temperature=1.0, entropy_coef=0.0, pad_id=0)
    assert seen and all(s == (torch.bfloat16, True) for s in seen)  # π_old and π_θ forwards alike
    assert abs(stats["ratio/mean"] - 1.0) < 1e-6  # same precision for π_old and π_θ: the ratio starts at 1


def test_hf_engine_samples_in_the_training_precision(tokenizer, tiny_model):
    model = wrap_model(tiny_model, mixed_precision=True)
    engine = build_engine(RolloutConfig(), model, tokenizer)
    assert engine.autocast_dtype == torch.bfloat16
    seen: list[torch.dtype] = []
    model.model.layers[0].mlp.down_proj.register_forward_hook(lambda _m, _i, out: seen.append(out.dtype))
    prompt = encode_prompt(tokenizer, [{"role": "user", "content": "1+2-3"}])
    engine.generate([prompt], SamplingParams(n=2, max_tokens=4), seed=0)
    assert seen and set(seen) == {torch.bfloat16}
    assert not torch.is_autocast_enabled("cpu")  # left as found


def test_pure_bf16_warns_when_lr_is_below_a_bf16_step(tiny_model, caplog):
    model = wrap_model(tiny_model.to(torch.bfloat16), mixed_precision=False)
    assert precision_of(model).master_dtype == torch.bfloat16
    with caplog.at_level(logging.WARNING, logger="or1.distributed.precision"):
        build_optimizer(model, AlgoConfig(lr=LR))
    msg = caplog.text
    assert "algo.lr=1e-06 is below 2^-8 x median |w|" in msg
    assert "distributed.mixed_precision: true with model.dtype: float32" in msg
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="or1.distributed.precision"):
        build_optimizer(model, AlgoConfig(lr=1e-3))  # above the floor: bf16 can take the step
        build_optimizer(wrap_model(copy.deepcopy(model).float(), mixed_precision=True), AlgoConfig(lr=LR))
    assert "pure bf16" not in caplog.text


def test_bf16_update_check_predicts_which_weights_move():
    # Worked example of the docstring: w ~ N(0, 0.02²), median |w| = 0.6745·0.02 = 0.0135, floor = 0.0135/256
    # = 5.3e-5; a step of 1e-6 survives only where half a bf16 spacing is below it, |w| < 2^-11 ≈ 4.9e-4:
    # P(|w| < 4.9e-4) = 2·4.9e-4 / (0.02·√(2π)) ≈ 1.9%.
    torch.manual_seed(0)
    layer = torch.nn.Linear(1000, 200, bias=False).to(torch.bfloat16)
    with torch.no_grad():
        layer.weight.copy_(torch.randn(200, 1000) * 0.02)
    c = bf16_update_check(layer, LR)
    assert abs(c.median_abs - 0.0135) < 3e-4 and abs(c.min_lr - 5.3e-5) < 2e-6
    w = layer.weight.detach()
    actual = float((w - LR != w).float().mean())  # the step, applied in bf16
    assert abs(c.moved_frac - actual) < 1e-3 and 0.015 < actual < 0.025



def test_one_process_run_setup_takes_mixed_precision(tmp_path, easy_task):
    """`or1 train`'s setup in one process with distributed.mixed_precision: true, as the paper configs set it
    (it used to be ignored at world size 1): fp32 weights and AdamW, bf16 autocast for update and rollout."""
    cfg = load_config(write_config(tmp_path / "c.yaml", data={"train_files": [str(easy_task["train"])]},
                                   algo={"lr": LR}, distributed={"mixed_precision": True}))
    run = setup(cfg)
    try:
        p = precision_of(run.model)
        assert (p.master_dtype, p.compute_dtype, p.autocast) == (torch.float32, torch.bfloat16, True)
        assert run.engine is not None and run.engine.engine.autocast_dtype == torch.bfloat16
        assert all(g["params"][0].dtype == torch.float32 for g in run.optimizer.param_groups)
    finally:
        _close(run)
