"""The throughput model against the report's costs (DESIGN.md §1): 32B, 1000 steps ≈ 309 h on 32 H800,
72% of it rollout; 7B ≈ 116 h / 1000 steps (reported, not asserted tightly: the 7B GPU count is assumed)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from or1.cli import main
from or1.config_load import load_config
from or1.throughput import (
    GPUS,
    MODELS,
    Efficiency,
    ModelShape,
    StagePlan,
    Workload,
    config_plan,
    model_shape,
    plan_run,
    rollout_seconds,
    rollout_share,
    total_hours,
    train_flops_per_step,
)
from or1.train_memory import train_memory

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
    assert main(["plan", str(CONFIGS / "or1_32b.yaml"), "--steps", "1000", "--original"]) == 0
    out = capsys.readouterr().out
    assert "16384" in out and "24576" in out and "h per 1000 steps" in out
    assert "trainer memory per GPU" in out and "26624 tokens" in out


def test_train_memory_worked_numbers():
    """N = 1e9, L = 10, H = A = 1000, K = 2·125 = 250, I = 4000, V = 50000 untied; W = 8, S = 1000, b = 2,
    head blocks of 100 × 10000."""
    m = ModelShape(1e9, 10, 1000, 8, 2, 125, 4000, 50000)
    assert m.attn_dim == 1000
    ac = train_memory(m, 8, 1000, True, chunk_tokens=100, vocab_chunk=10000)
    assert ac.state == pytest.approx(2e9)  # 16 · 1e9 / 8
    # root R = 2 · 50000 · 1000 = 1e8 (untied), N_layer = (1e9 - 1e8) / 10 = 9e7: 2 · 2 · (1e8 + 1.8e8)
    assert ac.gathered == pytest.approx(1.12e9)
    # a = 2 · (4·1000 + 2·1000 + 2·250 + 4·4000) = 45000 bytes per token and layer
    assert ac.activations == pytest.approx(10 * 1000 * 1000 * 2 + 1000 * 45000)  # 6.5e7
    assert ac.logp_head == pytest.approx(8 * 100 * 10000 + 4 * 50000 * 1000)  # 2.08e8
    assert ac.total == pytest.approx(2e9 + 1.12e9 + 6.5e7 + 2.08e8)
    assert train_memory(m, 8, 1000, False).activations == pytest.approx(10 * 1000 * 45000)  # 4.5e8
    assert train_memory(m, 8, 1000, True, chunk_tokens=None).logp_head == pytest.approx(24 * 1000 * 50000)
    tied = train_memory(replace(m, tied=True), 8, 1000, True)
    assert tied.gathered == pytest.approx(2 * 2 * (5e7 + 2 * 9.5e7))  # R = 5e7, N_layer = 9.5e7
    with pytest.raises(ValueError, match="gpus >= 1"):
        train_memory(m, 0, 1000, True)


def test_paper_configs_fit_in_memory_with_checkpointing_and_the_chunked_head():
    """7B at 34,816 tokens and 32B at 26,624 on 32 H800: under 80 GB with checkpointing, not without; the
    former full logits alone (~127 GB for 7B) would not fit either."""
    for name, cfg in [("DeepSeek-R1-Distill-Qwen-7B", "or1_7b.yaml"), ("DeepSeek-R1-Distill-Qwen-32B", "or1_32b.yaml")]:
        c = load_config(CONFIGS / cfg)
        m, S = MODELS[name], c.algo.micro_batch_tokens
        assert train_memory(m, c.distributed.gpus, S, True).total < 0.8 * H800.mem_bytes
        assert train_memory(m, c.distributed.gpus, S, False).total > H800.mem_bytes
        assert train_memory(m, c.distributed.gpus, S, True, chunk_tokens=None).logp_head > H800.mem_bytes
    assert train_memory(MODELS["DeepSeek-R1-Distill-Qwen-7B"], 32, 34816, True).total == pytest.approx(26.3e9, rel=0.01)


def test_train_memory_defaults_are_the_trainers_chunks():
    import inspect

    from or1.trainer.lm_head_chunks import CHUNK_TOKENS, VOCAB_CHUNK

    sig = inspect.signature(train_memory).parameters
    assert (sig["chunk_tokens"].default, sig["vocab_chunk"].default) == (CHUNK_TOKENS, VOCAB_CHUNK)


def test_plan_names_an_unknown_model_shape(tmp_path, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_text((CONFIGS / "or1_7b.yaml").read_text())
    with pytest.raises(SystemExit) as e:
        main(["plan", str(cfg), "model.path=my-org/unknown-model"])
    assert e.value.code == 2 and "model.path=my-org/unknown-model; pass --model" in capsys.readouterr().err
