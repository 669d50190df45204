"""Exact resume: a run killed with SIGKILL after a checkpoint, then resumed, ends bitwise identical to an
uninterrupted run (weights and every logged metric except wall-clock timings)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from conftest import start_train, warm_run_config
from or1.trainer.metrics_log import read_metrics


def _config(tmp_path: Path, warm_model_dir: Path, easy_task: dict[str, Path], name: str) -> Path:
    return warm_run_config(
        tmp_path, name, warm_model_dir, easy_task,
        stages=[
            {"steps": 3, "max_response_length": 28, "batch_size": 4, "mini_batch_size": 2, "group_size": 4},
            {"steps": 3, "max_response_length": 32, "batch_size": 4, "mini_batch_size": 4, "group_size": 4},
        ],
        algo={"lr": 5e-4, "micro_batch_size": 8, "clip_high": 0.28},
        entropy={"adaptive": True, "target": 5.0, "delta": 1e-3},  # target above H: the bonus is active
        filter={"online": True, "max_refills": 1, "offline": True, "offline_samples": 2},
        validation={"every": 3, "n": 2, "max_problems": 6},
        checkpoint_every=2,
        keep_checkpoints=5,
        threads=1,
    )


def _strip_timings(rows):
    return [{k: v for k, v in r.items() if not k.startswith("perf/")} for r in rows]


def test_sigkill_then_resume_is_bitwise_identical(tmp_path, warm_model_dir, easy_task):
    full = start_train(_config(tmp_path, warm_model_dir, easy_task, "full"))
    killed_cfg = _config(tmp_path, warm_model_dir, easy_task, "killed")
    killed = start_train(killed_cfg)
    latest = tmp_path / "killed" / "checkpoints" / "latest"
    deadline = time.time() + 300
    while not latest.exists() and killed.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    assert killed.poll() is None, "the run ended before it could be killed:\n" + killed.stdout.read()
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    kept = read_metrics(tmp_path / "killed" / "metrics.jsonl")
    assert kept[-1]["step"] < 6  # it really was interrupted

    resumed = start_train(killed_cfg, "--resume")
    out_r, _ = resumed.communicate(timeout=600)
    out_f, _ = full.communicate(timeout=600)
    assert resumed.returncode == 0, out_r
    assert full.returncode == 0, out_f
    assert "resuming from" in out_r

    final = "checkpoints/step_000006/model/model.safetensors"
    assert (tmp_path / "full" / final).read_bytes() == (tmp_path / "killed" / final).read_bytes()
    a = read_metrics(tmp_path / "full" / "metrics.jsonl")
    b = read_metrics(tmp_path / "killed" / "metrics.jsonl")
    assert [r["step"] for r in a] == list(range(7))
    assert _strip_timings(a) == _strip_timings(b)
    # The run learned something and exercised the recipe's moving parts.
    assert sum(r.get("update/steps", 0) > 0 for r in a) >= 4
    assert any(r.get("entropy/coef", 0) > 0 for r in a)  # adaptive entropy bonus was applied
    assert a[-1]["entropy/alpha"] > 0
