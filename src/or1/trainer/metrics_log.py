"""Metrics: one flat dict per step, written to metrics.jsonl and TensorBoard (STYLE.md "Logging").

Every key the trainer logs, with its meaning:
  reward/mean            mean reward of the step's first rollout batch (the policy's training accuracy)
  reward/status/<s>      fraction of the first try's responses with verifier status s (ok, wrong, unfinished,
                         no_answer, timeout, error always; others such as runtime_error when they occur)
  reward/timeouts        verifications that hit their time limit this step (every scoring call: rollout
                         tries, offline filter, validation)
  reward/errors          verifications that failed with an error this step (same scope)
  reward/worker_restarts verifier worker processes restarted this step (timeouts, crashes, kills)
  filter/kept_frac       fraction of sampled groups that were informative (not all-0 / all-1)
  filter/tries           rollout batches sampled this step (1 + refills)
  filter/groups          groups the update trained on
  filter/empty_step      1 when no group was informative even after refills (no update that step), else 0
  filter/empty_steps     such steps so far in the run (kept in the train state)
  rollout/len_mean, rollout/len_max, rollout/truncated_frac   response lengths (tokens) and truncation
  entropy/estimate       H_est = -mean log π_old over the batch (what the controller sees; async: log π_β)
  entropy/policy         token entropy of π_θ during the update
  entropy/coef           α applied this step (0 when inactive); entropy/alpha: controller α after update
  loss/policy, loss/entropy_bonus, clip/frac, ratio/mean, grad/norm, update/steps
  tis/weight_mean, tis/clipped_frac, tis/kl_behaviour   with algo.tis_cap: importance weights, recipe.md
  async/staleness        with rollout.mode=async: steps between the weights that sampled the batch and the
                         weights it trains (min(step, rollout.max_staleness)); see async.md in docs
  async/trainer_wait_s   seconds the trainer waited for the batch (0 when the worker was ahead)
  async/rollout_wait_s   seconds the worker waited for the request (weights) of this batch
  async/rollout_s        seconds the worker spent sampling and scoring the batch
  async/worker_restarts  rollout worker restarts so far in this session of the run (a dead worker is restarted)
  stage/index, stage/max_response_length
  perf/step_s, perf/rollout_s, perf/update_s, perf/tokens_per_s   wall-clock timings (not reproducible)
  val/<data_source>/avg@<n>_t<τ>   validation Avg@n at temperature τ
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from or1.atomic import write_text_atomic
from or1.config import TrainConfig
from or1.config_load import config_to_dict
from or1.trainer.trackers import Tracker, open_trackers

__all__ = ["MetricsLog", "open_metrics_log", "read_metrics"]

log = logging.getLogger(__name__)


class MetricsLog:
    """Appends `{"step": s, **metrics}` lines to metrics.jsonl, scalars to TensorBoard, and both to the
    trackers given (W&B, MLflow: `trackers.py`).

    On resume from step s, lines after s are dropped (rewritten atomically) and TensorBoard purges its
    later events, so the logs of a resumed run equal those of an uninterrupted one. A tracker cannot drop
    what it holds, and may have lost what it was not done writing when the run was killed (W&B offline
    keeps nothing of a SIGKILLed session): on resume each tracker is sent the kept lines it does not hold
    (`Tracker.held_up_to`; all of them when it cannot tell), then the steps after s it does not hold.
    """

    def __init__(self, out_dir: Path, resume_step: int | None = None, tensorboard: bool = True,
                 trackers: Sequence[Tracker] = ()) -> None:
        self.path = out_dir / "metrics.jsonl"
        self.out_dir = out_dir
        self.trackers = list(trackers)
        self._floors = [-1] * len(self.trackers)  # per tracker: the last step it holds
        out_dir.mkdir(parents=True, exist_ok=True)
        if resume_step is not None and self.path.exists():
            keep = [r for r in read_metrics(self.path) if r["step"] <= resume_step]
            write_text_atomic(self.path, "".join(json.dumps(r) + "\n" for r in keep))
            for j, t in enumerate(self.trackers):
                held = t.held_up_to()
                floor = -1 if held is None else held
                for r in keep:
                    if r["step"] > floor:
                        t.log(r["step"], {k: v for k, v in r.items() if k != "step"})
                self._floors[j] = max(floor, resume_step)
        elif resume_step is None and self.path.exists():
            self.path.unlink()
        self._file = self.path.open("a")
        self._tb: Any = None
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            purge = None if resume_step is None else resume_step + 1
            self._tb = SummaryWriter(str(out_dir / "tensorboard"), purge_step=purge)

    def log(self, step: int, metrics: dict[str, float]) -> None:
        self._file.write(json.dumps({"step": step, **metrics}) + "\n")
        self._file.flush()
        if self._tb is not None:
            for k, v in metrics.items():
                self._tb.add_scalar(k, v, step)
        for t, floor in zip(self.trackers, self._floors, strict=True):
            if step > floor:
                t.log(step, metrics)

    def log_rows(self, step: int, name: str, rows: list[dict[str, Any]]) -> Path:
        """Rows of one step (e.g. sampled responses) to OUT/<name>/step_<step>.jsonl and to the trackers (as a
        table); returns the file."""
        path = write_text_atomic(self.out_dir / name / f"step_{step}.jsonl",
                                 "".join(json.dumps(r) + "\n" for r in rows))
        for t, floor in zip(self.trackers, self._floors, strict=True):
            if step > floor:
                t.log_rows(step, name, rows)
        return path

    def close(self) -> None:
        self._file.close()
        if self._tb is not None:
            self._tb.close()
        for t in self.trackers:
            t.close()


def open_metrics_log(cfg: TrainConfig, out_dir: Path, resume_step: int | None = None) -> MetricsLog:
    """The run's metrics log with the backends `logging.backends` names; the resolved config is each tracker
    run's config."""
    lc = cfg.logging
    trackers = open_trackers(lc.backends, out_dir, config_to_dict(cfg), resume=resume_step is not None,
                             wandb_project=lc.wandb_project, wandb_entity=lc.wandb_entity,
                             mlflow_tracking_uri=lc.mlflow_tracking_uri, mlflow_experiment=lc.mlflow_experiment,
                             run_name=lc.run_name)
    return MetricsLog(out_dir, resume_step=resume_step, tensorboard="tensorboard" in lc.backends, trackers=trackers)


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    """All rows of a metrics.jsonl file.

    A torn last line (a run killed while writing it) is dropped with a warning; a bad line elsewhere is
    an error naming the file and line.

    Raises:
        ValueError: a line before the last is not JSON.
    """
    lines = [(i, line) for i, line in enumerate(Path(path).read_text().splitlines(), 1) if line.strip()]
    rows = []
    for k, (i, line) in enumerate(lines):
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as e:
            if k < len(lines) - 1:
                raise ValueError(f"{path}: line {i} is not JSON ({e})") from None
            log.warning("%s: dropped its torn last line %d (a run killed while writing it)", path, i)
    return rows
