"""`rollout.mode: async` with `ray.enabled`: the rollout worker is one Ray actor of a local cluster the run
starts (in a loopback-only network namespace). It runs the same worker code as the spawned process, so the
run is bitwise the process-worker run; an actor SIGKILLed mid-run is replaced and the run ends unchanged."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from conftest import finish, netns_skip_reason, reproducible_metrics, start_train, warm_run_config
from or1.trainer.metrics_log import read_metrics

pytestmark = [pytest.mark.skipif(netns_skip_reason() is not None, reason=str(netns_skip_reason())),
              pytest.mark.skipif(not __import__("importlib").util.find_spec("ray"), reason="needs ray")]

FINAL = "checkpoints/step_000005/model/model.safetensors"


def _config(tmp_path: Path, warm_model_dir: Path, easy_task: dict[str, Path], name: str) -> Path:
    return warm_run_config(
        tmp_path, name, warm_model_dir, easy_task,
        stages=[{"steps": 5, "max_response_length": 28, "batch_size": 4, "mini_batch_size": 2, "group_size": 4}],
        rollout={"mode": "async", "max_staleness": 2, "worker_threads": 1},
        algo={"lr": 5e-4, "micro_batch_size": 8, "recompute_old_logp": True},
        filter={"online": True, "max_refills": 1, "offline": False},
        validation={"every": 5, "n": 2, "max_problems": 4},
        checkpoint_every=5, threads=1)


def _actor_pids() -> list[int]:
    """Processes of the rollout actor (Ray titles its worker process `ray::_RayWorker...`)."""
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if b"ray::_RayWorker" in (p / "cmdline").read_bytes():
                    out.append(int(p.name))
            except OSError:
                continue
    return out


@pytest.fixture(scope="module")
def process_run(tmp_path_factory, warm_model_dir, easy_task) -> Path:
    tmp = tmp_path_factory.mktemp("async_process")
    finish(start_train(_config(tmp, warm_model_dir, easy_task, "process")))
    return tmp / "process"


def test_ray_actor_worker_equals_the_process_worker(tmp_path, warm_model_dir, easy_task, process_run):
    finish(start_train(_config(tmp_path, warm_model_dir, easy_task, "ray"), "ray.enabled=true", "ray.reward_actors=1",
                       netns=True))
    assert (process_run / FINAL).read_bytes() == (tmp_path / "ray" / FINAL).read_bytes()
    a, b = (read_metrics(d / "metrics.jsonl") for d in (process_run, tmp_path / "ray"))
    assert reproducible_metrics(a) == reproducible_metrics(b)
    assert [r["async/staleness"] for r in b if r["step"] > 0] == [0.0, 1.0, 2.0, 2.0, 2.0]


def test_killed_ray_actor_is_replaced_and_the_run_goes_on_unchanged(tmp_path, warm_model_dir, easy_task,
                                                                    process_run):
    cfg = _config(tmp_path, warm_model_dir, easy_task, "killed")
    proc = start_train(cfg, "ray.enabled=true", "ray.reward_actors=1", netns=True)
    metrics = tmp_path / "killed" / "metrics.jsonl"
    deadline, killed = time.time() + 400, []
    while proc.poll() is None and time.time() < deadline and not killed:
        if metrics.exists() and len(metrics.read_text().splitlines()) >= 3:  # mid-run: after step 2 is logged
            for pid in _actor_pids():
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
        time.sleep(0.01)
    assert killed, "the run ended before its rollout actor could be killed"
    out = finish(proc)
    assert "the rollout worker died (Ray" in out and "starting it again" in out
    rows = read_metrics(metrics)
    assert rows[-1]["async/worker_restarts"] >= 1
    assert (process_run / FINAL).read_bytes() == (tmp_path / "killed" / FINAL).read_bytes()
    assert reproducible_metrics(read_metrics(process_run / "metrics.jsonl")) == reproducible_metrics(rows)
