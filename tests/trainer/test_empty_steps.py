"""A step whose groups are all filtered out even after refills is logged, warned about and counted, and
the count is resume state (old checkpoints without it still load)."""

from __future__ import annotations

import logging

import torch

from conftest import write_config
from or1.algo.entropy import AdaptiveEntropyController
from or1.config_load import load_config
from or1.trainer.loop import train
from or1.trainer.metrics_log import read_metrics
from or1.trainer.prompt_sampler import PromptSampler
from or1.trainer.state import TrainState


def _config(tmp_path, easy_task, name: str):
    """An untrained tiny policy: it never closes </think> with the right box, so every group is all-0."""
    return load_config(write_config(
        tmp_path / f"{name}.yaml", out_dir=str(tmp_path / name),
        data={"train_files": [str(easy_task["train"])], "val_files": []},
        stages=[{"steps": 2, "max_response_length": 6, "batch_size": 2, "mini_batch_size": 2, "group_size": 2}],
        filter={"online": True, "max_refills": 1, "offline": False}, checkpoint_every=1, threads=1))


def test_empty_steps_are_logged_warned_and_survive_resume(tmp_path, easy_task, caplog):
    cfg = _config(tmp_path, easy_task, "run")
    with caplog.at_level(logging.WARNING, logger="or1.trainer.loop"):
        train(cfg, progress=False, stop_at=1)
        train(cfg, resume=True, progress=False)
    rows = read_metrics(tmp_path / "run" / "metrics.jsonl")
    assert [r["step"] for r in rows] == [1, 2]
    assert [r["filter/empty_step"] for r in rows] == [1.0, 1.0]
    assert [r["filter/empty_steps"] for r in rows] == [1.0, 2.0]  # 1 then 2: the count came back on resume
    assert all(r["filter/tries"] == 2 and r["filter/groups"] == 0 and r["reward/mean"] == 0 for r in rows)
    warned = [m for m in caplog.messages if "no informative group" in m]
    assert len(warned) == 2
    assert "step 2 (stage 0)" in warned[1] and "filter.max_refills=1" in warned[1] and "too hard" in warned[1]
    state = torch.load(tmp_path / "run" / "checkpoints" / "step_000002" / "state.pt", weights_only=False)
    assert state["empty_steps"] == 2


def _state() -> TrainState:
    return TrainState(PromptSampler(10, 0), AdaptiveEntropyController(0.2, 0.005, 0.005, 0.0), "fp")


def test_state_round_trips_and_old_state_loads():
    s = _state()
    s.step, s.empty_steps = 7, 3
    saved = s.state_dict()
    t = _state()
    t.load_state_dict(saved)
    assert t.empty_steps == 3 and t.step == 7
    old = {k: v for k, v in saved.items() if k != "empty_steps"}  # a checkpoint written before the field
    u = _state()
    u.load_state_dict(old)
    assert u.empty_steps == 0 and u.step == 7
    assert torch.equal(torch.get_rng_state(), saved["rng"]["torch"])
