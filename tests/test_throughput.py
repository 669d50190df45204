"""The throughput model against the report's costs (DESIGN.md §1): 32B, 1000 steps ≈ 309 h on 32 H800,
72% of it rollout; 7B ≈ 116 h / 1000 steps (reported, not asserted tightly: the 7B GPU count is assumed)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from or1.config_load import load_config
from or1.throughput import (
    GPUS,
    MODELS,
    Efficiency,
    StagePlan,
    Workload,
    _main,
    config_plan,
    model_shape,
    plan_run,
    rollout_seconds,
    rollout_share,
    total_hours,
    train_flops_per_step,
)

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
H800 = GPUS["H800"]


def _report_run(name: str, steps: int = 1000):
    cfg = load_config(CONFIGS / name)
    stages, work = config_plan(cfg, original=True)
    _, shape = model_shape(cfg.model.path)
    return plan_run(shape, H800, cfg.distributed.gpus, stages, work, tp=cfg.rollout.tensor_parallel_size,
                    max_steps=steps, mem_util=cfg.rollout.gpu_memory_utilization)


def test_32b_matches_the_reported_309_hours_and_rollout_share():
    rows = _report_run("or1_32b.yaml")
    assert sum(r.stage.steps for r in rows) == 1000  # 760 steps at 16K + 240 at 24K
    hours = total_hours(rows)
    assert 309 * 0.75 <= hours <= 309 * 1.25, hours
    assert 0.64 <= rollout_share(rows) <= 0.80, rollout_share(rows)


def test_7b_is_in_the_reported_range():
    hours = total_hours(_report_run("or1_7b.yaml"))
    assert 116 * 0.6 <= hours <= 116 * 1.4, hours  # ≈116 h / 1000 steps in the report


def test_training_flops_are_6n_per_token_plus_recompute():
    m = MODELS["DeepSeek-R1-Distill-Qwen-7B"]
    s = StagePlan(1, 1000, 10, 10)
    w = Workload(prompt_len=0, response_frac=0.5, truncated_frac=0.0, kept_frac=1.0, recompute_old_logp=False,
                 activation_checkpointing=False)
    flops = train_flops_per_step(replace(m, layers=0), s, w)  # no attention term: exactly 6·N·tokens
    assert flops == pytest.approx(6 * m.params * 100 * 500)
    more = train_flops_per_step(replace(m, layers=0), s, replace(w, recompute_old_logp=True,
                                                                    activation_checkpointing=True))
    assert more == pytest.approx(flops * 10 / 6)  # + π_old forward + checkpointing forward


def test_rollout_scales_with_context_and_gpus():
    m, w, e = MODELS["DeepSeek-R1-Distill-Qwen-32B"], Workload(), Efficiency()
    s16, s32 = StagePlan(1, 16384, 256, 16), StagePlan(1, 32768, 256, 16)
    t16 = rollout_seconds(m, H800, 32, s16, w, e, tp=4)
    assert rollout_seconds(m, H800, 32, s32, w, e, tp=4) > 1.8 * t16  # longer tail and more KV reads
    assert rollout_seconds(m, H800, 64, s16, w, e, tp=4) < t16
    refill = rollout_seconds(m, H800, 32, s16, replace(w, refill=True), e, tp=4)
    assert refill > t16  # or1 samples more to refill filtered-out groups
    with pytest.raises(ValueError, match="do not fit"):
        rollout_seconds(m, H800, 32, s16, w, e, tp=1, mem_util=0.5)


def test_cli_prints_the_stage_table(capsys):
    assert _main([str(CONFIGS / "or1_32b.yaml"), "--steps", "1000", "--original"]) == 0
    out = capsys.readouterr().out
    assert "16384" in out and "24576" in out and "h per 1000 steps" in out
