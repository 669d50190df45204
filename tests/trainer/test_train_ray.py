"""`or1 train` with Ray on: a local cluster started by the run, verifiers and rollouts in Ray actors, the
same metrics and weights as the in-process run (one rollout actor samples exactly as the trainer would)."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from safetensors.torch import load_file

from conftest import netns_skip_reason, warm_run_config
from or1.trainer.metrics_log import read_metrics

pytestmark = [pytest.mark.skipif(netns_skip_reason() is not None, reason=str(netns_skip_reason())),
              pytest.mark.skipif(not __import__("importlib").util.find_spec("ray"), reason="needs ray")]


def _config(tmp_path: Path, warm_model_dir: Path, easy_task: dict[str, Path], name: str) -> Path:
    return warm_run_config(
        tmp_path, name, warm_model_dir, easy_task,
        stages=[{"steps": 2, "max_response_length": 28, "batch_size": 4, "mini_batch_size": 4, "group_size": 4}],
        algo={"lr": 5e-4, "micro_batch_size": 8},
        filter={"online": True, "max_refills": 1, "offline": False},
        validation={"every": 2, "n": 2, "max_problems": 4},
        threads=1,
    )


def test_train_with_ray_actors_equals_in_process(tmp_path, warm_model_dir, easy_task):
    local = _config(tmp_path, warm_model_dir, easy_task, "local")
    subprocess.run([sys.executable, "-m", "or1.cli", "train", str(local), "--no-progress"], check=True,
                   capture_output=True)
    on_ray = _config(tmp_path, warm_model_dir, easy_task, "ray")
    train = [sys.executable, "-m", "or1.cli", "train", str(on_ray), "--no-progress", "ray.enabled=true",
             "ray.reward_actors=2", "ray.rollout_actors=1"]  # a local cluster, in a loopback-only namespace
    proc = subprocess.run(["unshare", "-n", "sh", "-c", "ip link set lo up && exec " + shlex.join(train)],
                          capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    a, b = (read_metrics(tmp_path / n / "metrics.jsonl") for n in ("local", "ray"))
    strip = [{k: v for k, v in r.items() if not k.startswith("perf/")} for r in a]
    assert strip == [{k: v for k, v in r.items() if not k.startswith("perf/")} for r in b]
    wa, wb = (load_file(tmp_path / n / "checkpoints" / "step_000002" / "model" / "model.safetensors")
              for n in ("local", "ray"))
    assert all((wa[k] == wb[k]).all() for k in wa)
