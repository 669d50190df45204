"""The MAGIC training loop: all stages of the schedule in one run (DESIGN.md §1).

`setup` (run.py) builds everything and rejects bad input before any step runs; `train` is the loop;
`train_step` is one recipe step as a list of named calls. Each phase of a step runs under the watchdog's
deadline (rollout and scoring through the guarded engine and verifiers, `guards.py`).

Where a step's rollouts come from is the run's rollout side, chosen once at setup (`rollout_side.py`):
sampled in this process, on rank 0 and broadcast under torchrun, or ahead of time by the asynchronous
rollout worker (`async_rollout.py`, docs/async.md). The step itself only calls it.

Under `torchrun` the same loop runs on every rank (docs/distributed.md): the policy is sharded with FSDP2,
every rank trains on its share of each mini-batch, and rank 0 alone validates, logs and writes train state.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from rich.progress import Progress
from torch import Tensor

from or1.algo.entropy import AdaptiveEntropyController, estimate_entropy
from or1.algo.importance import TISWeights, truncated_importance_weights
from or1.algo.stages import Stage
from or1.config import TrainConfig
from or1.config_load import dump_config
from or1.distributed import all_reduce_sum
from or1.distributed import shutdown as shutdown_distributed
from or1.rollout.types import SamplingParams
from or1.sampling import sample_and_score
from or1.stats import avg_at_k
from or1.trainer.checkpoint import save_checkpoint, save_checkpoint_sharded
from or1.trainer.progress import progress as make_progress
from or1.trainer.progress import subtask
from or1.trainer.rollout_side import step_seed
from or1.trainer.run import Run, setup
from or1.trainer.samples_log import rollout_rows, validation_rows
from or1.trainer.update import algo_numbers, policy_update, recompute_old_logp

__all__ = ["Run", "setup", "train", "train_step", "validate"]

log = logging.getLogger(__name__)


def train(cfg: TrainConfig, resume: bool = False, progress: bool = True, stop_at: int | None = None) -> Path:
    """Run every stage of the schedule; returns the final checkpoint directory.

    Args:
        stop_at: stop after this step (a checkpoint is written there) instead of the schedule's end; a later
            `train(..., resume=True)` continues exactly as if the run had not stopped.
    """
    run = setup(cfg, resume)
    total = run.schedule.total_steps
    end = min(total, stop_at) if stop_at is not None else total
    ckpt = run.out / "checkpoints" / f"step_{run.state.step:06d}"
    try:
        with make_progress(progress and run.main) as bar:  # validation and offline-filter bars sit under it
            if run.state.step == 0 and cfg.validation.every and run.samples:
                _log(run, 0, _validate_step(run, 0, bar))
            task = bar.add_task("train", total=total, completed=run.state.step, info="")
            while run.state.step < end:
                stage = run.schedule.at(run.state.step)
                run.watchdog.step, run.watchdog.response_length = run.state.step + 1, stage.max_response_length
                metrics = train_step(run, stage, bar)
                run.state.step += 1
                step = run.state.step
                if cfg.validation.every and (step % cfg.validation.every == 0 or step == total) and run.samples:
                    metrics.update(_validate_step(run, step, bar))
                _log(run, step, metrics)
                if step % cfg.checkpoint_every == 0 or step == end:
                    with run.watchdog.phase("checkpoint"):
                        ckpt = _save(run, step)
                bar.update(task, completed=step, info=_summary(stage, metrics))
    finally:
        _close(run)
    return ckpt


def _validate_step(run: Run, step: int, bar: Progress) -> dict[str, float]:
    with run.watchdog.phase("validation"):
        return validate(run, step, bar)


def _log(run: Run, step: int, metrics: dict[str, float]) -> None:
    """Write the step's metrics with its scoring counts (timeouts, errors, worker restarts) on rank 0, and a
    warning line for each danger sign that appears (`danger_signs.py`)."""
    if run.scorer is not None:
        metrics |= run.scorer.take_counts()
    if run.metrics is not None:
        run.metrics.log(step, metrics)
    if run.danger is not None:
        for line in run.danger.check(step, metrics):
            log.warning("%s", line)


def _log_rows(run: Run, step: int, name: str, rows: list[dict]) -> None:
    """Sampled responses to OUT/<name>/step_<step>.jsonl and the trackers, within `logging.samples_max_mb`."""
    if run.metrics is not None and run.samples_log is not None and rows and run.samples_log.admit(rows):
        run.metrics.log_rows(step, name, rows)


def _close(run: Run) -> None:
    """Stop the metrics log, verifiers, rollout actors, Ray connection, process group and watchdog."""
    if run.metrics is not None:
        run.metrics.close()
    if run.scorer is not None:
        run.scorer.close()
    run.rollouts.close()  # the async rollout worker
    if run.engine is not None:
        run.engine.close()  # Ray rollout actors
    if run.cfg.ray.enabled and run.main:
        from or1.distributed.ray_cluster import shutdown as shutdown_ray

        shutdown_ray()  # disconnects; a local cluster this process started stops with it
    shutdown_distributed()
    run.watchdog.close()


def _save(run: Run, step: int) -> Path:
    pending = run.rollouts.checkpoint_state(run.state)  # async: the batches sampled ahead (sync: nothing)
    if pending:
        run.state.extra["rollouts"] = pending
    save = save_checkpoint_sharded if run.world.distributed else save_checkpoint  # torchrun: every rank writes
    return save(run.out / "checkpoints", step, run.model, run.tokenizer, run.optimizer, run.state.state_dict(),
                dump_config(run.cfg), run.cfg.keep_checkpoints)


def train_step(run: Run, stage: Stage, bar: Progress | None = None) -> dict[str, float]:
    """One recipe step: rollouts → rewards → informative groups → advantages → PPO-clip updates → α update.

    The rollouts come from the run's rollout side (`rollout_side.py`): sampled here, on rank 0 and
    broadcast, or ahead of time by the async worker.
    """
    cfg, state, w, t0 = run.cfg, run.state, run.world, time.perf_counter()
    got = run.rollouts.collect(state, stage, bar)
    for line in got.notes:
        log.info("%s", line)
    if got.scored is not None and run.samples_log is not None and run.samples_log.due(state.step + 1):
        lc = cfg.logging
        _log_rows(run, state.step + 1, "samples",
                  rollout_rows(state.step + 1, got.scored, run.problems, lc.sample_groups, lc.sample_chars))
    batch, metrics = got.batch, got.metrics
    t1 = time.perf_counter()
    if batch is None:  # every group filtered out, even after refills
        _empty_step(run, stage, metrics)
    else:
        a = cfg.algo
        behaviour_logp = batch.old_logp  # the engine's: π_β
        if a.recompute_old_logp:
            with run.watchdog.phase("old_logprob"):
                batch.old_logp = recompute_old_logp(run.model, batch, stage.temperature,
                                                    run.tokenizer.pad_token_id, a.micro_batch_size,
                                                    a.micro_batch_tokens)
        tis = None
        if a.tis_cap is not None:
            tis = truncated_importance_weights(batch.old_logp, behaviour_logp, batch.resp_mask, a.tis_cap, a.tis_level)
            metrics |= _tis_stats(tis, batch.resp_mask)
        # The controller estimates the entropy of the policy that sampled (docs/async.md): in sync mode that
        # is π_old itself, in async mode π_β, up to rollout.max_staleness steps old.
        h_est = estimate_entropy(behaviour_logp if cfg.rollout.mode == "async" else batch.old_logp,
                                 batch.resp_mask)
        coef = _entropy_coef(cfg, state.controller, h_est)
        with run.watchdog.phase("update"):
            metrics |= policy_update(run.model, run.optimizer, batch, mini_batch_groups=stage.mini_batch_size,
                                     **algo_numbers(a), temperature=stage.temperature, entropy_coef=coef,
                                     pad_id=run.tokenizer.pad_token_id, rank=w.rank, world_size=w.world_size,
                                     global_sum=all_reduce_sum if w.distributed else None,
                                     token_weight=tis.weight if tis is not None else None)
        if cfg.entropy.adaptive:
            state.controller.update(h_est)
        metrics |= {"entropy/coef": coef, "entropy/estimate": h_est}
    with run.watchdog.phase("weight_sync"):
        run.rollouts.after_step(updated=batch is not None)
    t2 = time.perf_counter()
    n_tok = float(batch.resp_mask.sum()) if batch is not None else 0.0
    metrics |= {"filter/empty_step": float(batch is None), "filter/empty_steps": float(state.empty_steps),
                "entropy/alpha": state.controller.coef, "stage/index": stage.index,
                "stage/max_response_length": stage.max_response_length, "perf/rollout_s": t1 - t0,
                "perf/update_s": t2 - t1, "perf/step_s": t2 - t0, "perf/tokens_per_s": n_tok / max(t2 - t0, 1e-9)}
    return metrics


def _tis_stats(tis: TISWeights, mask: Tensor) -> dict[str, float]:
    """Token means of the importance weights, the share the cap bound, and KL(π_β ‖ π_old)."""
    n = max(float(mask.sum()), 1.0)
    return {"tis/weight_mean": float(tis.weight.sum()) / n, "tis/clipped_frac": float(tis.clipped.sum()) / n,
            "tis/kl_behaviour": float(tis.kl.sum()) / n}


def _empty_step(run: Run, stage: Stage, metrics: dict[str, float]) -> None:
    """Count a step whose groups were all filtered out even after refills, and say so on rank 0.

    Nothing is trained: the step still advances, so the schedule keeps its length and resume stays exact.
    """
    run.state.empty_steps += 1
    if run.main:
        reward, f = metrics.get("reward/mean", 0.0), run.cfg.filter
        why = ("every response was wrong: the problems may be too hard for this policy (or1 data select "
               "--keep 1..15), or no response can earn reward (does it close </think> and box its answer?)"
               if reward == 0 else "every response was right: the problems are too easy (filter.offline, "
               "or1 data select --keep 1..15)" if reward == 1 else "each group's rewards were all equal")
        log.warning("step %d (stage %d): no informative group in %d rollout tries, the policy was not updated "
                    "(%d such steps so far): %s. Raise filter.max_refills=%d or stages[%d].group_size=%d for more "
                    "chances of a mixed group", run.state.step + 1, stage.index, int(metrics.get("filter/tries", 1)),
                    run.state.empty_steps, why, f.max_refills, stage.index, stage.group_size)


def validate(run: Run, step: int, bar: Progress | None = None) -> dict[str, float]:
    """Avg@n on the validation rows at each validation temperature, per data source (ranks that sample).

    With `bar` (the train display), a bar per temperature counts the problems sampled.
    """
    assert run.engine is not None and run.scorer is not None, "validation runs where rollouts are sampled"
    v, lc, out, rows = run.cfg.validation, run.cfg.logging, {}, []
    max_tokens = v.max_response_length or run.schedule.at(min(step, run.schedule.total_steps - 1)).max_response_length
    for j, temp in enumerate(v.temperatures):
        params = SamplingParams(n=v.n, temperature=temp, top_p=run.cfg.rollout.top_p, max_tokens=max_tokens)
        with subtask(bar, f"validate τ={temp:g}", len(run.val_problems)) as advance:
            samples = sample_and_score(run.engine, run.tokenizer, run.val_problems, run.scorer, params,
                                       seed=step_seed(run.cfg.seed, step, 1000 + j), on_progress=advance)
        by_source: dict[str, list[list[bool]]] = {}
        for group in samples:
            by_source.setdefault(group[0].problem.data_source, []).append([s.result.correct for s in group])
        for src, correct in by_source.items():
            out[f"val/{src}/avg@{v.n}_t{temp:g}"] = avg_at_k(correct)
        if lc.sample_every:
            rows += validation_rows(step, samples, lc.sample_groups, lc.sample_chars, temp)
    _log_rows(run, step, "val_samples", rows)
    return out


def _entropy_coef(cfg: TrainConfig, controller: AdaptiveEntropyController, h_est: float) -> float:
    if not cfg.entropy.adaptive:
        return cfg.entropy.coef
    return controller.coef if controller.is_active(h_est) else 0.0


def _summary(stage: Stage, m: dict[str, float]) -> str:
    """The progress bar's line: what matters in a step at a glance."""
    head = (f"stage {stage.index} | reward {m.get('reward/mean', 0):.2f} | kept {m.get('filter/kept_frac', 0):.2f}"
            f" | len {m.get('rollout/len_mean', 0):.0f} | trunc {m.get('rollout/truncated_frac', 0):.2f}")
    if m.get("filter/empty_step"):
        return f"{head} | no informative group ({m['filter/empty_steps']:.0f} steps): not updated"
    return f"{head} | H {m.get('entropy/estimate', 0):.3f} | α {m.get('entropy/alpha', 0):.4f}"
