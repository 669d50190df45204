"""benchmarks/gpu_check.py: its CPU mode runs the GPU check's code path end to end, and without CUDA
the GPU mode refuses with exit 2. Both as real subprocesses, as a user runs the script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_check.py"


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=240,
                          env={**os.environ, **(env or {})})


def test_cpu_tiny_trains_two_steps_and_reports_every_figure(tmp_path):
    r = _run("--cpu-tiny", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr[-3000:]
    fig = json.loads((tmp_path / "gpu_check.json").read_text())
    assert fig["steps"] == 2 and fig["device"] == "cpu" and fig["responses_per_step"] == 16
    # A random model runs to the length limit; prompts are forwarded too, so trainer tokens > rollout tokens.
    assert fig["rollout_tokens"] > 0.9 * 2 * 16 * 32 and fig["trainer_tokens"] > fig["rollout_tokens"]
    for key in ("trainer_tokens_per_s", "rollout_tokens_per_s", "measured_bf16_flops", "mfu_train_vs_measured"):
        assert fig[key] > 0, key
    assert "trainer tokens/s" in r.stdout and "MFU train" in r.stdout
    # The paper config ran (its stage boundary and the bf16-on-fp32 precision the check asks for).
    cfg = (tmp_path / "run" / "config.yaml").read_text()
    assert "mixed_precision: true" in cfg and "activation_checkpointing: true" in cfg


def test_gpu_mode_without_cuda_exits_2_with_a_clear_message():
    r = _run(env={"CUDA_VISIBLE_DEVICES": ""})
    assert r.returncode == 2
    assert "no CUDA device" in r.stderr and "--cpu-tiny" in r.stderr


def test_the_cpu_placement_guard_stops_a_cpu_forward_of_a_hf_model():
    sys.path.insert(0, str(SCRIPT.parent))
    import torch
    from gpu_check import SHAPE_TINY, PolicyOnCpu, refuse_cpu_policy
    from transformers import AutoModelForCausalLM, Qwen2Config

    model = AutoModelForCausalLM.from_config(Qwen2Config(**SHAPE_TINY))
    ids = torch.tensor([[1, 2, 3]])
    guard = refuse_cpu_policy()
    try:
        with pytest.raises(PolicyOnCpu, match="runs the policy on the CPU"):
            model(ids)
    finally:
        guard.remove()
    assert model(ids).logits.shape == (1, 3, SHAPE_TINY["vocab_size"])  # removed: forwards run again


def test_the_1_5b_shape_is_qwen2_5_1_5b_and_its_flop_count_matches_the_model():
    sys.path.insert(0, str(SCRIPT.parent))
    import torch
    from gpu_check import SHAPE_1_5B, model_flops
    from transformers import AutoModelForCausalLM, Qwen2Config

    with torch.device("meta"):  # shapes only, no memory
        model = AutoModelForCausalLM.from_config(Qwen2Config(**SHAPE_1_5B))
    total = sum(p.numel() for p in model.parameters())  # tied: the embedding is counted once
    assert 1.54e9 < total < 1.55e9  # Qwen2.5-1.5B: 1.54B parameters
    n, layers, d = model_flops(SHAPE_1_5B)
    matmul = sum(p.numel() for name, p in model.named_parameters() if p.dim() == 2 and "embed" not in name)
    assert (layers, d) == (28, 1536) and n == matmul + 1536 * 151936  # + the tied LM head
