"""`or1 report RUN_DIR`: panels and report.md from a real run's folder, a run in progress and a resumed one."""

from __future__ import annotations

import json
import subprocess
import sys

import yaml

from conftest import warm_run_config
from or1.dashboard.panels import PANELS, Panel, expand_keys, panel_series, series
from or1.dashboard.run_report import write_run_report

PNG = b"\x89PNG\r\n\x1a\n"


def _is_png(path) -> bool:
    data = path.read_bytes()
    return data.startswith(PNG) and len(data) > 5_000  # a drawn figure, not an empty canvas


def test_series_keeps_each_step_once_last_value_wins_and_skips_non_numbers():
    rows = [{"step": 1, "a": 1.0}, {"step": 2, "a": 2.0}, {"step": 2, "a": 5.0},  # step 2 logged again (resume)
            {"step": 3, "a": float("nan")}, {"step": 4, "a": "x"}, {"step": 5, "a": True}, {"step": 6}]
    assert series(rows, "a") == ([1, 2], [1.0, 5.0])


def test_prefix_keys_expand_to_every_logged_key_in_order():
    rows = [{"step": 1, "val/b/avg@4_t1": 0.1, "val/a/avg@4_t0.6": 0.2, "loss/policy": 0.0, "valx": 1}]
    assert expand_keys(rows, ("val/",)) == ["val/a/avg@4_t0.6", "val/b/avg@4_t1"]
    assert expand_keys(rows, ("loss/policy", "loss/", "missing")) == ["loss/policy"]
    left, right = panel_series(rows, Panel("x.png", "t", "y", ("val/",), ("loss/policy",)))
    assert list(left) == ["val/a/avg@4_t0.6", "val/b/avg@4_t1"] and list(right) == ["loss/policy"]


def test_every_metric_the_trainer_documents_is_on_a_panel():
    from or1.trainer import metrics_log as trainer_logging

    words = trainer_logging.__doc__.replace(",", " ").replace(":", " ").split()
    documented = {w for w in words if "/" in w.strip("/") and not w.startswith(("val/", "perf/tokens"))}
    documented -= {"stage/index", "stage/max_response_length", "update/steps", "model/"}
    on_panels = {k for p in PANELS for k in (*p.left, *p.right)}
    missing = {k for k in documented if k not in on_panels and not any(k.startswith(q) for q in on_panels
                                                                        if q.endswith("/"))}
    assert not missing, f"metrics on no panel: {sorted(missing)}"


def test_report_of_a_run_in_progress_with_a_torn_line_and_a_repeated_step(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text(yaml.safe_dump({
        "model": {"path": "some/model", "dtype": "float32"}, "algo": {"lr": 1e-6, "clip_low": 0.2, "clip_high": 0.2},
        "entropy": {"target": 0.2, "adaptive": True}, "filter": {"online": True, "offline": False},
        "stages": [{"steps": 10, "max_response_length": 8192, "batch_size": 256, "group_size": 16,
                    "temperature": 1.0}]}))
    rows = [{"step": s, "reward/mean": 0.1 * s, "entropy/estimate": 1.0 - 0.05 * s, "entropy/alpha": 0.005,
             "filter/kept_frac": 0.5, "filter/tries": 1, "rollout/len_mean": 100.0 + s, "clip/frac": 0.01,
             "ratio/mean": 1.0, "grad/norm": 0.3, "loss/policy": 0.01, "perf/step_s": 2.0, "perf/rollout_s": 1.5,
             "perf/update_s": 0.5} for s in range(1, 5)]
    rows.insert(2, {**rows[1], "reward/mean": 0.9})  # step 2 logged twice: the second (resumed) value wins
    rows[0]["val/aime24/avg@4_t0.6"] = 0.25
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"step": 5, "rew')
    (run / "samples").mkdir()
    (run / "samples" / "step_4.jsonl").write_text(json.dumps(
        {"uid": "p/1", "prompt": "What is 2+2?", "response": "x" * 5000, "status": "wrong", "reward": 0.0,
         "length": 812, "advantage": -0.5}) + "\n")
    (run / "samples" / "step_10.jsonl").write_text(json.dumps(
        {"uid": "p/2", "prompt": "What is 3+3?", "response": "</think> \\boxed{6}", "status": "correct",
         "reward": 1.0, "length": 9, "advantage": 0.5}) + "\n" + '{"uid": "torn')

    report = write_run_report(run)
    out = run / "report"
    assert report == out / "report.md"
    for name in ("training.png", "reward.png", "entropy.png", "filter.png", "length.png", "clip.png", "loss.png",
                 "validation.png", "time.png"):
        assert _is_png(out / name), name
    assert not (out / "verifier.png").exists()  # nothing of it logged: no empty panel
    text = report.read_text()
    assert "Steps logged: 4 of 10 (in progress or stopped)" in text
    assert "| reward/mean | 0.1 | 0.4 |" in text and "| val/aime24/avg@4_t0.6 | 0.25 (step 1)" in text
    assert "`some/model`" in text and "| 0 | 10 | 8192 | 256 × 16 | 1.0 |" in text
    assert "samples/step_10.jsonl" in text and "\\boxed{6}" in text and "p/1" not in text


def test_a_folder_that_is_not_a_run_is_an_error_naming_it(tmp_path):
    r = subprocess.run([sys.executable, "-m", "or1.cli", "report", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 1 and str(tmp_path) in r.stderr and "metrics.jsonl" in r.stderr


def test_report_of_a_trained_and_resumed_run(tmp_path, warm_model_dir, easy_task):
    from or1.config_load import load_config
    from or1.trainer.loop import train

    cfg_path = warm_run_config(tmp_path, "run", warm_model_dir, easy_task, validation={"every": 2, "n": 2})
    train(load_config(cfg_path), progress=False, stop_at=2)
    train(load_config(cfg_path), resume=True, progress=False)
    r = subprocess.run([sys.executable, "-m", "or1.cli", "report", str(tmp_path / "run"), "--out",
                        str(tmp_path / "dash")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.strip() == f"report: {tmp_path / 'dash' / 'report.md'}"
    text = (tmp_path / "dash" / "report.md").read_text()
    assert "Steps logged: 4 of 4 (finished)" in text and "newest `step_000004`" in text
    for name in ("training.png", "reward.png", "entropy.png", "validation.png", "time.png"):
        assert _is_png(tmp_path / "dash" / name), name
