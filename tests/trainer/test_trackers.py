"""W&B (offline) and MLflow (local store) trackers: one tracker run across a resume, every step once, the
config logged, read back from what the libraries wrote."""

from __future__ import annotations

import json

import pytest
from tracker_readback import wandb_runs

from or1.trainer.metrics_log import MetricsLog
from or1.trainer.trackers import flatten, open_trackers

pytest.importorskip("wandb")
pytest.importorskip("mlflow")

CONFIG = {"algo": {"lr": 1e-6, "clip_high": 0.2}, "stages": [{"steps": 3}], "model": {"path": None}}


@pytest.fixture
def offline(monkeypatch, tmp_path):
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no user-level W&B settings or netrc


def _log(out, steps, resume_step=None):
    trackers = open_trackers(("jsonl", "wandb", "mlflow"), out, CONFIG, resume=resume_step is not None)
    log = MetricsLog(out, resume_step=resume_step, tensorboard=False, trackers=trackers)
    for s in steps:
        log.log(s, {"reward/mean": s / 10, "val/aime24/avg@8_t0.6": s / 100})
    log.log_rows(steps[-1], "samples", [{"uid": "p/1", "response": "</think> 4", "status": "correct"}])
    log.close()


def test_flatten_gives_dotted_keys():
    assert flatten(CONFIG) == {"algo.lr": 1e-6, "algo.clip_high": 0.2, "stages": '[{"steps": 3}]',
                               "model.path": "null"}


def test_resumed_run_continues_the_same_tracker_runs_and_logs_each_step_once(offline, tmp_path, monkeypatch):
    import mlflow

    monkeypatch.chdir(tmp_path)  # nothing may land in the working directory
    out = tmp_path / "run"
    _log(out, [1, 2, 3, 4])  # killed after step 4 was logged; the newest checkpoint is step 2
    _log(out, [3, 4, 5, 6], resume_step=2)

    ids = json.loads((out / "trackers.json").read_text())
    runs = wandb_runs(out)
    assert len(runs) == 2 and {r["id"] for r in runs} == {ids["wandb"]}  # two sessions of one W&B run
    history = [[(h["_step"], h["reward/mean"]) for h in r["history"] if "reward/mean" in h] for r in runs]
    # W&B cannot be asked what it holds offline: the resumed session gets every step again, equal values.
    assert history == [[(s, s / 10) for s in (1, 2, 3, 4)], [(s, s / 10) for s in (1, 2, 3, 4, 5, 6)]]
    assert runs[0]["config"]["algo"] == {"lr": 1e-6, "clip_high": 0.2}
    tables = [(h["_step"], h["samples/nrows"]) for r in runs for h in r["history"] if "samples/_type" in h]
    assert tables == [(4, 1), (6, 1)]

    client = mlflow.tracking.MlflowClient(f"sqlite:///{out / 'mlflow.db'}")
    exp = client.get_experiment_by_name("or1")
    assert [r.info.run_id for r in client.search_runs([exp.experiment_id])] == [ids["mlflow"]]
    hist = client.get_metric_history(ids["mlflow"], "reward/mean")
    assert sorted(m.step for m in hist) == [1, 2, 3, 4, 5, 6]
    assert [m.step for m in client.get_metric_history(ids["mlflow"], "val/aime24/avg_8_t0.6")] == [1, 2, 3, 4, 5, 6]
    run = client.get_run(ids["mlflow"])
    assert run.data.params["algo.lr"] == "1e-06" and run.info.status == "FINISHED"
    arts = [a.path for a in client.list_artifacts(ids["mlflow"], "samples")]
    assert arts == ["samples/step_4.jsonl", "samples/step_6.jsonl"]
    assert (out / "mlflow_artifacts").is_dir() and sorted(p.name for p in tmp_path.iterdir()) == ["home", "run"]
    assert [json.loads(x)["step"] for x in (out / "metrics.jsonl").read_text().splitlines()] == [1, 2, 3, 4, 5, 6]


def test_unknown_or_missing_backend_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match=r"logging.backends: unknown \['neptune'\]; known: \['jsonl'"):
        open_trackers(("jsonl", "neptune"), tmp_path, {}, resume=False)
