"""algo.tis_cap in the loop: the engine's log-probs are π_β, the trainer's recomputed ones π_old; the
weights and their statistics are logged, and off leaves the run as it was."""

from __future__ import annotations

from conftest import warm_run_config
from or1.config_load import load_config
from or1.trainer.loop import train
from or1.trainer.metrics_log import read_metrics

STAGES = [{"steps": 2, "max_response_length": 24, "batch_size": 4, "mini_batch_size": 2, "group_size": 4}]


def _run(tmp_path, warm_model_dir, easy_task, name, **algo):
    cfg = warm_run_config(tmp_path, name, warm_model_dir, easy_task, stages=STAGES, threads=1,
                          algo={"lr": 5e-4, "micro_batch_size": 8, "recompute_old_logp": True, **algo},
                          filter={"online": True, "max_refills": 1, "offline": False}, validation={"every": 0})
    train(load_config(cfg), progress=False)
    return [r for r in read_metrics(tmp_path / name / "metrics.jsonl") if r.get("filter/groups", 0) > 0]


def test_weights_are_logged_and_near_one_when_the_engine_is_the_trainer(tmp_path, warm_model_dir, easy_task):
    rows = _run(tmp_path, warm_model_dir, easy_task, "tis", tis_cap=2.0)
    assert rows, "no step trained: the warm model should give informative groups"
    for r in rows:
        # The HF engine samples from the trained module itself: π_β and π_old differ by batching numerics only.
        assert abs(r["tis/weight_mean"] - 1.0) < 1e-3 and r["tis/clipped_frac"] == 0.0
        assert 0.0 <= r["tis/kl_behaviour"] < 1e-5
    off = _run(tmp_path, warm_model_dir, easy_task, "off")
    assert off and not any(k.startswith("tis/") for r in off for k in r)
    assert [r["step"] for r in off] == [r["step"] for r in rows]
    for a, b in zip(rows, off, strict=True):  # weights within 1e-3 of 1: the same run, near enough
        assert abs(a["loss/policy"] - b["loss/policy"]) < 1e-2 * max(1.0, abs(b["loss/policy"]))
