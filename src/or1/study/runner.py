"""Run a study's arms × seeds as parallel subprocesses; resumable.

Layout of a study folder OUT:
  OUT/study.json                       the study, its seeds and whether it is quick (a rerun must match)
  OUT/runs/<arm>/seed<k>/run.json      the run's full training config (as a dict) and evaluation settings
  OUT/runs/<arm>/seed<k>/...           the trainer's out_dir: metrics.jsonl, tensorboard/, checkpoints/
  OUT/runs/<arm>/seed<k>/final_eval.json   held-out Avg@K per problem, written last: marks a finished run
  OUT/runs/<arm>/seed<k>/log.txt       the run's log (a failed run's traceback ends it)
  OUT/logs/worker<i>.txt               each worker process's output

`--jobs` worker processes (`python -m or1.study.worker RUN_DIR...`, one torch thread each) share the
unfinished runs round-robin and run theirs one after another. A rerun skips runs with a final_eval.json and
continues the others from their newest checkpoint through the trainer's resume.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from or1.atomic import write_text_atomic
from or1.config_load import apply_overrides
from or1.study.studies import QUICK_OVERRIDES, Study, base_config
from or1.study.warm import WarmStart

__all__ = ["RunSpec", "ensure_warm_eval", "plan_runs", "run_config", "run_study", "warm_eval_path"]

log = logging.getLogger(__name__)

EVAL_K = 8  # samples per held-out problem in the final table
QUICK_EVAL_K = 2
EVAL_TEMPERATURES = (0.6, 1.0)


@dataclass(frozen=True)
class RunSpec:
    """One run of a study: an arm at a seed, in its own folder."""

    arm: str
    seed: int
    dir: Path

    @property
    def done(self) -> bool:
        return (self.dir / "final_eval.json").is_file()


def plan_runs(study: Study, out: Path, seeds: int) -> list[RunSpec]:
    """All runs, seed-major (every arm at seed 0 first), so a partly run study already compares arms."""
    return [RunSpec(a.name, s, out / "runs" / a.name / f"seed{s}") for s in range(seeds) for a in study.arms]


def run_config(study: Study, arm_name: str, seed: int, run_dir: Path, ws: WarmStart, quick: bool) -> dict[str, Any]:
    """The training config (as a dict) of one run: BASE → study settings → arm → quick shrink → this run's files."""
    arm = study.arm(arm_name)
    over = [*study.overrides, *arm.overrides]
    if quick:
        over += [*QUICK_OVERRIDES, *arm.quick_overrides]
    over += [f"out_dir={run_dir}", f"seed={seed}", f"model.path={ws.model}", f"data.train_files=[{ws.train}]",
             f"data.val_files=[{ws.dev}]"]
    return apply_overrides(base_config(), over)


def _write_spec(study: Study, spec: RunSpec, ws: WarmStart, quick: bool) -> None:
    cfg = run_config(study, spec.arm, spec.seed, spec.dir.resolve(), ws, quick)
    run = {"study": study.name, "arm": spec.arm, "seed": spec.seed, "config": cfg, "test_file": str(ws.test),
           "eval": {"k": QUICK_EVAL_K if quick else EVAL_K, "temperatures": list(EVAL_TEMPERATURES),
                    "max_tokens": study.eval_max_tokens, "seed": 4321 + spec.seed}}
    path = spec.dir / "run.json"
    if path.is_file() and json.loads(path.read_text()) != run:
        raise RuntimeError(f"{path} was written with other settings; remove {spec.dir} to rerun it")
    write_text_atomic(path, json.dumps(run, indent=2))


def warm_eval_path(model_path: str | Path, k: int, max_tokens: int) -> Path:
    """Where the warm start's held-out evaluation with these settings is cached (beside the model)."""
    return Path(model_path).parent / f"warm_eval_k{k}_len{max_tokens}.json"


def ensure_warm_eval(study: Study, ws: WarmStart, quick: bool) -> Path:
    """Evaluate the warm start on the held-out problems as the runs' final evaluation does (once per setting):
    the table's baseline row, what RL started from."""
    k = QUICK_EVAL_K if quick else EVAL_K
    path = warm_eval_path(ws.model, k, study.eval_max_tokens)
    if not path.is_file():
        import torch

        from or1.study.worker import final_eval

        torch.set_num_threads(1)
        cfg = run_config(study, study.arms[0].name, 0, ws.root / "unused", ws, quick)
        run = {"config": cfg, "test_file": str(ws.test),
               "eval": {"k": k, "temperatures": list(EVAL_TEMPERATURES), "max_tokens": study.eval_max_tokens,
                        "seed": 4321}}
        write_text_atomic(path, json.dumps(final_eval(run, ws.model)))
    return path


def _check_study_file(out: Path, study: Study, seeds: int, quick: bool) -> None:
    meta = {"study": study.name, "quick": quick}
    path = out / "study.json"
    if path.is_file():
        old = json.loads(path.read_text())
        if {k: old.get(k) for k in meta} != meta:
            raise RuntimeError(f"{out} holds study {old.get('study')!r} (quick={old.get('quick')}): "
                               "choose another --out")
        seeds = max(seeds, int(old.get("seeds", 0)))
    write_text_atomic(path, json.dumps({**meta, "seeds": seeds}, indent=2))


def _launch(specs: list[RunSpec], log_path: Path) -> int:
    """One worker process that runs `specs` one after another (imports are paid once per worker)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    with log_path.open("a") as f:
        return subprocess.run([sys.executable, "-m", "or1.study.worker", *(str(s.dir) for s in specs)], stdout=f,
                              stderr=subprocess.STDOUT, env=env).returncode


def run_study(study: Study, out: Path, ws: WarmStart, seeds: int, jobs: int, quick: bool = False) -> list[RunSpec]:
    """Run every unfinished run of the study, `jobs` at a time; returns all runs (finished or failed).

    Raises:
        RuntimeError: a run failed (its log.txt holds the traceback); the others still ran.
    """
    out.mkdir(parents=True, exist_ok=True)
    _check_study_file(out, study, seeds, quick)
    specs = plan_runs(study, out, seeds)
    todo = [s for s in specs if not s.done]
    log.info("study %s: %d runs, %d finished, %d to run with %d jobs", study.name, len(specs),
             len(specs) - len(todo), len(todo), jobs)
    for s in todo:
        s.dir.mkdir(parents=True, exist_ok=True)
        _write_spec(study, s, ws, quick)
    ensure_warm_eval(study, ws, quick)
    if not todo:
        return specs
    jobs = min(jobs, len(todo))
    shares = [todo[i::jobs] for i in range(jobs)]  # round-robin over the seed-major order
    (out / "logs").mkdir(exist_ok=True)
    t0 = time.time()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(_launch, shares, [out / "logs" / f"worker{i}.txt" for i in range(jobs)]))
    failed = [s for s in todo if not s.done]
    log.info("study %s: %d runs in %.0f s, %d failed", study.name, len(todo), time.time() - t0, len(failed))
    if failed:
        raise RuntimeError("runs failed (see their log.txt): " + ", ".join(str(s.dir) for s in failed))
    return specs
