"""Experiment trackers beside metrics.jsonl: Weights & Biases and MLflow (`logging.backends`).

Both are optional extras (`pip install 'or1[wandb]'`, `'or1[mlflow]'`), imported only when a run names
them. A tracker run is one run for the whole training run, resumes included: its id is kept in
`OUT/trackers.json`, written when the run starts, and a resumed run opens the same tracker run (W&B
`resume="allow"`, MLflow the same run id). A resumed run recomputes the steps after its checkpoint
bitwise equal, and a killed session may have lost what it had not written yet (W&B offline keeps nothing of
a SIGKILLed session), so on resume the metrics log sends each tracker what it does not hold. MLflow can
say what it holds: every step appears once. W&B cannot be asked offline: it is sent every step again with
the same values (the W&B server keeps the first of a repeated step; the last offline session holds all).

Everything runs locally in tests: W&B in offline mode (`WANDB_MODE=offline`, files under OUT/wandb) and
MLflow on a local store (default `sqlite:///OUT/mlflow.db` when neither `logging.mlflow_tracking_uri` nor
MLFLOW_TRACKING_URI is set).
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
from pathlib import Path
from typing import Any, Protocol

from or1.atomic import write_text_atomic

__all__ = ["BACKENDS", "MlflowTracker", "Tracker", "WandbTracker", "flatten", "open_trackers"]

log = logging.getLogger(__name__)

BACKENDS = ("jsonl", "tensorboard", "wandb", "mlflow")
IN_USE_WAIT_S = 120.0  # how long a resumed run waits for a killed session's W&B service to let its run go
_INSTALL = {"wandb": "pip install 'or1[wandb]'", "mlflow": "pip install 'or1[mlflow]'"}


class Tracker(Protocol):
    """What the metrics log needs of a tracker."""

    def log(self, step: int, metrics: dict[str, float]) -> None: ...

    def held_up_to(self) -> int | None:
        """The last step this tracker run already holds (a resumed run), or None when it cannot tell."""
        ...

    def log_rows(self, step: int, name: str, rows: list[dict[str, Any]]) -> None: ...

    def close(self) -> None: ...


def flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested config dict -> {"algo.lr": 1e-6, ...}; lists and None become strings (as trackers store them)."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out |= flatten(v, key + ".")
        else:
            out[key] = v if isinstance(v, bool | int | float | str) else json.dumps(v)
    return out


def _require(name: str) -> Any:
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        raise ImportError(f"logging.backends lists {name}, which is not installed: {_INSTALL[name]}") from None


class WandbTracker:
    """A W&B run; `WANDB_MODE=offline` keeps it on disk (OUT/wandb), `wandb sync` uploads it later."""

    def __init__(self, out: Path, run_id: str, config: dict[str, Any], project: str, entity: str | None,
                 name: str) -> None:
        wandb = _require("wandb")
        self._wandb = wandb
        deadline = time.monotonic() + IN_USE_WAIT_S
        while True:
            try:
                self._run = wandb.init(project=project, entity=entity, name=name, id=run_id, resume="allow",
                                       dir=str(out), config=config, settings=wandb.Settings(silent=True, console="off"))
                return
            except Exception as e:
                # A killed trainer's W&B service holds the run id until it sees its parent gone (seconds).
                if "in use" not in str(e) or time.monotonic() > deadline:
                    raise
                log.info("W&B run %s is still held by the stopped session; waiting", run_id)
                time.sleep(2.0)

    def log(self, step: int, metrics: dict[str, float]) -> None:
        self._run.log(metrics, step=step)

    def held_up_to(self) -> int | None:
        return None  # not to be asked offline; the server drops repeated steps itself

    def log_rows(self, step: int, name: str, rows: list[dict[str, Any]]) -> None:
        if rows:
            cols = list(rows[0])
            table = self._wandb.Table(columns=cols, data=[[_cell(r.get(c)) for c in cols] for r in rows])
            self._run.log({name: table}, step=step)

    def close(self) -> None:
        self._run.finish()


class MlflowTracker:
    """An MLflow run on the tracking store (a server, or a local database by default)."""

    def __init__(self, out: Path, run_id: str | None, config: dict[str, Any], uri: str | None, experiment: str,
                 name: str) -> None:
        mlflow = _require("mlflow")
        from mlflow.entities import Metric, Param

        self._metric = Metric
        uri = uri or os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{out.resolve() / 'mlflow.db'}"
        self._client = mlflow.tracking.MlflowClient(tracking_uri=uri)
        exp = self._client.get_experiment_by_name(experiment)
        # A new experiment keeps its artifacts (the response tables) in the run folder, not in ./mlruns of
        # whatever directory the trainer was started from (MLflow's default with a database store).
        exp_id = exp.experiment_id if exp is not None else self._client.create_experiment(
            experiment, artifact_location=(out.resolve() / "mlflow_artifacts").as_uri())
        if run_id is None:
            self.run_id = self._client.create_run(exp_id, run_name=name).info.run_id
            params = [Param(k[:250], str(v)[:6000]) for k, v in flatten(config).items()]
            for i in range(0, len(params), 100):  # MLflow takes at most 100 params a batch
                self._client.log_batch(self.run_id, params=params[i : i + 100])
        else:
            self.run_id = run_id
            self._client.update_run(run_id, status="RUNNING")

    def held_up_to(self) -> int | None:
        keys = self._client.get_run(self.run_id).data.metrics
        return max((m.step for k in keys for m in self._client.get_metric_history(self.run_id, k)), default=-1)

    def log(self, step: int, metrics: dict[str, float]) -> None:
        import time

        ms = int(time.time() * 1000)
        batch = [self._metric(_mlflow_key(k), float(v), ms, step) for k, v in metrics.items()]
        for i in range(0, len(batch), 1000):
            self._client.log_batch(self.run_id, metrics=batch[i : i + 1000])

    def log_rows(self, step: int, name: str, rows: list[dict[str, Any]]) -> None:
        text = "".join(json.dumps(r) + "\n" for r in rows)
        self._client.log_text(self.run_id, text, f"{name}/step_{step}.jsonl")

    def close(self) -> None:
        self._client.set_terminated(self.run_id)


def _mlflow_key(key: str) -> str:
    """MLflow names allow letters, digits, `_-. :/`: `val/aime24/avg@8_t0.6` -> `val/aime24/avg_8_t0.6`."""
    return re.sub(r"[^\w\-. :/]", "_", key)


def _cell(v: Any) -> Any:
    return v if v is None or isinstance(v, bool | int | float | str) else json.dumps(v)


def open_trackers(backends: tuple[str, ...], out: Path, config: dict[str, Any], resume: bool, *,
                  wandb_project: str = "or1", wandb_entity: str | None = None, mlflow_tracking_uri: str | None = None,
                  mlflow_experiment: str = "or1", run_name: str | None = None) -> list[Tracker]:
    """The W&B / MLflow trackers `backends` names (jsonl and tensorboard are the metrics log's own).

    A fresh run gets new tracker runs and records their ids in OUT/trackers.json; a resumed run reads the
    ids there and continues those runs.

    Raises:
        ValueError: an unknown backend (the known ones listed).
        ImportError: a tracker that is not installed, with the pip command that installs it.
    """
    unknown = [b for b in backends if b not in BACKENDS]
    if unknown:
        raise ValueError(f"logging.backends: unknown {unknown}; known: {list(BACKENDS)}")
    path = out / "trackers.json"
    ids: dict[str, str] = json.loads(path.read_text()) if resume and path.is_file() else {}
    name = run_name or out.resolve().name
    trackers: list[Tracker] = []
    if "wandb" in backends:
        ids.setdefault("wandb", uuid.uuid4().hex[:12])
        trackers.append(WandbTracker(out, ids["wandb"], config, wandb_project, wandb_entity, name))
    if "mlflow" in backends:
        ml = MlflowTracker(out, ids.get("mlflow"), config, mlflow_tracking_uri, mlflow_experiment, name)
        ids["mlflow"] = ml.run_id
        trackers.append(ml)
    if trackers:
        write_text_atomic(path, json.dumps(ids, indent=2) + "\n")
    return trackers
