"""What a run logs besides metrics.jsonl: W&B (offline) and MLflow (local store) across a SIGKILL and a
resume, sampled responses within their cap, the danger-sign lines and the progress line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tracker_readback import wandb_runs

from conftest import warm_run_config
from or1.config import LoggingConfig
from or1.trainer.metrics_log import read_metrics
from or1.trainer.samples_log import SampleLog, clip_text

SAMPLE_FIELDS = {"step", "uid", "data_source", "ability", "group", "sample", "prompt", "response", "status",
                 "reward", "length", "truncated", "advantage", "extracted"}


def _config(tmp_path: Path, warm_model_dir: Path, easy_task: dict[str, Path]) -> Path:
    return warm_run_config(
        tmp_path, "run", warm_model_dir, easy_task,
        stages=[{"steps": 3, "max_response_length": 24, "batch_size": 4, "mini_batch_size": 2, "group_size": 4},
                {"steps": 3, "max_response_length": 28, "batch_size": 4, "mini_batch_size": 4, "group_size": 4}],
        validation={"every": 3, "n": 2, "max_problems": 4},
        logging={"backends": ["jsonl", "tensorboard", "wandb", "mlflow"], "sample_every": 2, "sample_groups": 1},
        checkpoint_every=2, threads=1)


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    return env | {"WANDB_MODE": "offline", "WANDB_SILENT": "true", "HOME": str(tmp_path / "home")}


def test_trackers_hold_one_run_each_across_sigkill_and_resume(tmp_path, warm_model_dir, easy_task):
    pytest.importorskip("wandb")
    mlflow = pytest.importorskip("mlflow")
    cfg = _config(tmp_path, warm_model_dir, easy_task)
    cmd = [sys.executable, "-m", "or1.cli", "train", str(cfg), "--no-progress"]
    run = tmp_path / "run"
    first = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=_env(tmp_path),
                             cwd=tmp_path)
    deadline = time.time() + 400
    while first.poll() is None and time.time() < deadline:  # killed once step 3 is logged (checkpoint: step 2)
        if (run / "metrics.jsonl").is_file() and any(r["step"] == 3 for r in read_metrics(run / "metrics.jsonl")):
            break
        time.sleep(0.005)
    assert first.poll() is None, "the run ended before it could be killed:\n" + first.stdout.read()
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    resumed = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, env=_env(tmp_path), cwd=tmp_path,
                             timeout=600)
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    steps = [r["step"] for r in read_metrics(run / "metrics.jsonl")]
    assert steps == list(range(7))

    ids = json.loads((run / "trackers.json").read_text())
    # MLflow: one run; every step once (the resumed run asks the store what it holds); the config as params.
    client = mlflow.tracking.MlflowClient(f"sqlite:///{run / 'mlflow.db'}")
    exp = client.get_experiment_by_name("or1")
    assert [r.info.run_id for r in client.search_runs([exp.experiment_id])] == [ids["mlflow"]]
    assert sorted(m.step for m in client.get_metric_history(ids["mlflow"], "reward/mean")) == list(range(1, 7))
    assert sorted(m.step for m in client.get_metric_history(ids["mlflow"], "val/or1-tiny-arith/avg_2_t0.6")) \
        == [0, 3, 6]
    params = client.get_run(ids["mlflow"]).data.params
    assert params["algo.lr"] == "0.001" and params["logging.sample_every"] == "2"

    # W&B: the killed session's offline file lost what wandb had not written yet; the resumed session of the
    # same run id holds the whole run, every step once, with the config.
    runs = wandb_runs(run)
    assert len(runs) == 2 and runs[-1]["id"] == ids["wandb"]
    last = runs[-1]
    assert last["config"]["algo"]["lr"] == 0.001
    assert [h["_step"] for h in last["history"] if "reward/mean" in h] == list(range(1, 7))
    by_step = {r["step"]: r for r in read_metrics(run / "metrics.jsonl")}
    assert all(h["reward/mean"] == by_step[h["_step"]]["reward/mean"] for h in last["history"] if "reward/mean" in h)
    assert not list(tmp_path.glob("mlruns"))  # nothing written where the trainer was started

    # Sampled responses: step 1, every 2nd step, and each validation; the fields a reader needs.
    assert sorted(p.name for p in (run / "samples").iterdir()) == ["step_1.jsonl", "step_2.jsonl", "step_4.jsonl",
                                                                   "step_6.jsonl"]
    assert sorted(p.name for p in (run / "val_samples").iterdir()) == ["step_0.jsonl", "step_3.jsonl",
                                                                       "step_6.jsonl"]
    rows = [json.loads(x) for x in (run / "samples" / "step_4.jsonl").read_text().splitlines()]
    assert len(rows) == 4 and all(set(r) == SAMPLE_FIELDS for r in rows)  # one group of G = 4
    assert {r["status"] for r in rows} <= {"ok", "wrong", "unfinished", "no_answer"}
    assert abs(sum(r["advantage"] for r in rows)) < 1e-4 and all(r["step"] == 4 for r in rows)
    val = [json.loads(x) for x in (run / "val_samples" / "step_6.jsonl").read_text().splitlines()]
    assert {r["temperature"] for r in val} == {0.6, 1.0} and len(val) == 2 * 2  # 1 problem × n 2 × 2 temperatures

    report = subprocess.run([sys.executable, "-m", "or1.cli", "report", str(run)], capture_output=True, text=True,
                            timeout=300)
    assert report.returncode == 0, report.stderr[-2000:]
    text = (run / "report" / "report.md").read_text()
    assert "samples/step_6.jsonl" in text and (run / "report" / "reward.png").is_file()
    metrics = read_metrics(run / "metrics.jsonl")
    assert all(abs(sum(v for k, v in r.items() if k.startswith("reward/status/")) - 1) < 1e-6
               for r in metrics[1:])


def test_samples_stop_at_their_cap_with_one_warning(tmp_path, caplog):
    (tmp_path / "samples").mkdir()
    (tmp_path / "samples" / "step_1.jsonl").write_text("x" * 900_000)  # an earlier session's file counts
    log = SampleLog(LoggingConfig(samples_max_mb=1.0, sample_every=5), tmp_path)
    assert log.due(1) and log.due(5) and not log.due(3)
    row = {"response": "y" * 100_000}
    assert log.admit([row])
    assert not log.admit([row]) and not log.admit([row])
    assert not log.due(10)  # full: no more steps keep their responses
    assert [r.message for r in caplog.records].count(
        "samples files hold 1.0 MB: no more responses are logged this run (logging.samples_max_mb=1)") == 1


def test_clip_text_keeps_head_and_tail():
    assert clip_text("abc", 10) == "abc"
    assert clip_text("a" * 10 + "b" * 10, 10) == "aaaaa […10 characters…] bbbbb"
