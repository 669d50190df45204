"""Asynchronous rollouts (`rollout.mode: async`, trainer/async_rollout.py): a function of the seed, never of
timing. Two runs are bitwise equal with the machine loaded or not; a SIGKILL of the trainer then `--resume`
reproduces the uninterrupted run (the pending batches are in the checkpoint); a rollout worker killed
mid-run is started again and the run ends as if it had not died."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import finish, reproducible_metrics, start_train, warm_run_config
from or1.trainer.metrics_log import read_metrics

STALENESS = 2  # two batches pending at every checkpoint, two weight versions in flight
FINAL = "checkpoints/step_000006/model/model.safetensors"


def _config(tmp_path: Path, warm_model_dir: Path, easy_task: dict[str, Path], name: str, **rollout) -> Path:
    return warm_run_config(
        tmp_path, name, warm_model_dir, easy_task,
        stages=[
            {"steps": 3, "max_response_length": 28, "batch_size": 4, "mini_batch_size": 2, "group_size": 4},
            {"steps": 3, "max_response_length": 32, "batch_size": 4, "mini_batch_size": 4, "group_size": 4},
        ],
        rollout={"mode": "async", "max_staleness": STALENESS, "worker_threads": 1, **rollout},
        algo={"lr": 5e-4, "micro_batch_size": 8, "clip_high": 0.28, "recompute_old_logp": True},
        entropy={"adaptive": True, "target": 5.0, "delta": 1e-3},  # target above H: the bonus is active
        filter={"online": True, "max_refills": 1, "offline": True, "offline_samples": 2},  # offline: in the worker
        validation={"every": 3, "n": 2, "max_problems": 6},
        logging={"sample_every": 2},
        checkpoint_every=2,
        keep_checkpoints=5,
        threads=1,
    )


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _worker_pid(trainer: int) -> int | None:
    for pid in _children(trainer):
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == "or1-rollout":
                return pid
        except FileNotFoundError:
            continue
    return None


def _burn(seconds: float) -> list[subprocess.Popen]:
    """Two busy processes: a loaded 2-core machine."""
    return [subprocess.Popen([sys.executable, "-c", f"import time\nt=time.time()+{seconds}\nwhile time.time()<t: pass"])
            for _ in range(2)]


@pytest.fixture(scope="module")
def reference(tmp_path_factory, warm_model_dir, easy_task) -> Path:
    """The uninterrupted async run, on an otherwise idle machine."""
    tmp = tmp_path_factory.mktemp("async_ref")
    finish(start_train(_config(tmp, warm_model_dir, easy_task, "ref")))
    return tmp / "ref"


def test_async_run_samples_ahead_and_corrects(reference):
    rows = read_metrics(reference / "metrics.jsonl")
    steps = [r for r in rows if r["step"] > 0]
    assert [r["step"] for r in rows] == list(range(7))
    # step k trains on the batch of weight version max(0, k - s)
    assert [r["async/staleness"] for r in steps] == [float(min(k, STALENESS)) for k in range(6)]
    assert all(r["tis/weight_mean"] > 0 for r in steps if "tis/weight_mean" in r)  # correction on by default
    assert any(r.get("tis/kl_behaviour", 0) > 0 for r in steps)  # π_β really differed from π_old
    assert sum(r.get("update/steps", 0) > 0 for r in steps) >= 4
    assert (reference / "samples" / "step_1.jsonl").is_file()  # the worker's first try reached the samples log
    assert any(k.startswith("val/") for k in rows[-1])


def test_async_runs_are_bitwise_equal_however_loaded(tmp_path, warm_model_dir, easy_task, reference):
    burners = _burn(120)
    try:
        finish(start_train(_config(tmp_path, warm_model_dir, easy_task, "loaded")))
    finally:
        for b in burners:
            b.kill()
    assert (reference / FINAL).read_bytes() == (tmp_path / "loaded" / FINAL).read_bytes()
    assert reproducible_metrics(read_metrics(reference / "metrics.jsonl")) == \
        reproducible_metrics(read_metrics(tmp_path / "loaded" / "metrics.jsonl"))


def test_async_sigkill_then_resume_is_bitwise_identical(tmp_path, warm_model_dir, easy_task, reference):
    cfg = _config(tmp_path, warm_model_dir, easy_task, "killed")
    killed = start_train(cfg)
    latest = tmp_path / "killed" / "checkpoints" / "latest"
    deadline = time.time() + 300
    while not latest.exists() and killed.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    assert killed.poll() is None, "the run ended before it could be killed:\n" + killed.stdout.read()
    worker = _worker_pid(killed.pid)
    assert worker is not None, "no rollout worker under the trainer"
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    for _ in range(200):  # the worker dies with its trainer (parent-death signal)
        if not Path(f"/proc/{worker}").exists() or "Z" in Path(f"/proc/{worker}/stat").read_text().split()[2]:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the rollout worker outlived its trainer")
    assert read_metrics(tmp_path / "killed" / "metrics.jsonl")[-1]["step"] < 6  # it really was interrupted

    out = finish(start_train(cfg, "--resume"))
    assert "resuming from" in out
    assert (reference / FINAL).read_bytes() == (tmp_path / "killed" / FINAL).read_bytes()
    assert reproducible_metrics(read_metrics(reference / "metrics.jsonl")) == \
        reproducible_metrics(read_metrics(tmp_path / "killed" / "metrics.jsonl"))


def test_killed_worker_is_restarted_and_the_run_goes_on_unchanged(tmp_path, warm_model_dir, easy_task, reference):
    proc = start_train(_config(tmp_path, warm_model_dir, easy_task, "worker_killed"))
    metrics = tmp_path / "worker_killed" / "metrics.jsonl"
    deadline, worker = time.time() + 300, None
    while proc.poll() is None and time.time() < deadline:  # mid-run: after step 2 is logged
        if metrics.exists() and len(metrics.read_text().splitlines()) >= 3:
            worker = _worker_pid(proc.pid)
            if worker is not None:
                os.kill(worker, signal.SIGKILL)
                break
        time.sleep(0.01)
    assert worker is not None, "the run ended before its worker could be killed"
    out = finish(proc)
    assert "the rollout worker died" in out and "starting it again" in out
    rows = read_metrics(metrics)
    assert rows[-1]["async/worker_restarts"] >= 1
    assert (reference / FINAL).read_bytes() == (tmp_path / "worker_killed" / FINAL).read_bytes()
    assert reproducible_metrics(read_metrics(reference / "metrics.jsonl")) == reproducible_metrics(rows)


def test_steps_without_an_update_still_advance_the_weight_version(tmp_path, warm_model_dir, easy_task):
    """One prompt × 2 responses, no refills: most steps have no informative group and make no update. The
    weight version counts steps, so the worker still gets every request (a version counting updates would
    leave step k waiting for a version that never comes) and checkpoints still complete."""
    cfg = warm_run_config(
        tmp_path, "sparse", warm_model_dir, easy_task,
        stages=[{"steps": 6, "max_response_length": 28, "batch_size": 1, "mini_batch_size": 1, "group_size": 2}],
        rollout={"mode": "async", "max_staleness": 1, "worker_threads": 1},
        algo={"lr": 5e-4, "micro_batch_size": 2, "recompute_old_logp": True},
        filter={"online": True, "max_refills": 0, "offline": False},
        checkpoint_every=2, threads=1)
    proc = start_train(cfg)
    try:
        out, _ = proc.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the async run hung after a step without an update:\n" + proc.communicate()[0][-3000:])
    assert proc.returncode == 0, out[-4000:]
    steps = [r for r in read_metrics(tmp_path / "sparse" / "metrics.jsonl") if r["step"] > 0]
    empty = [r["filter/empty_step"] for r in steps]
    assert len(steps) == 6 and 0 < sum(empty) < 6, empty  # a mix of steps with and without an update
    assert [r["async/staleness"] for r in steps] == [0.0] + [1.0] * 5
    assert (tmp_path / "sparse" / "checkpoints" / "step_000006").is_dir()
