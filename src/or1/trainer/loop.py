"""The MAGIC training loop: all stages of the schedule in one run (DESIGN.md §1).

`setup` builds everything (and rejects bad input before any step runs); `train` is the loop; `train_step`
is one recipe step as a list of named calls.

Under `torchrun` the same loop runs on every rank (docs/distributed.md): the policy is sharded with FSDP2,
rank 0 samples and scores the step's rollouts from a full copy of the weights (its rollout engine's
model) and broadcasts the batch, every rank trains on its share of each mini-batch, and the updated
weights are gathered back into rank 0's rollout model. Rank 0 alone validates, logs and writes train state.
"""

from __future__ import annotations

import copy
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from or1.algo.entropy import AdaptiveEntropyController, estimate_entropy
from or1.algo.filtering import offline_keep
from or1.algo.stages import Stage, StageSchedule
from or1.config import TrainConfig
from or1.config_load import dump_config, fingerprint
from or1.data.sampler import PromptSampler
from or1.data.schema import Problem
from or1.distributed import World, all_reduce_sum, broadcast_object, full_state_dict, init_distributed, wrap_model
from or1.distributed import shutdown as shutdown_distributed
from or1.distributed.dp_rollout import DataParallelEngine
from or1.distributed.rank_zero import RankZeroScorer
from or1.eval.metrics import avg_at_k
from or1.eval.sample import sample_and_score
from or1.rewards.registry import RewardRegistry
from or1.rollout.types import RolloutEngine, SamplingParams
from or1.trainer.checkpoint import (
    CheckpointError,
    latest_checkpoint,
    load_checkpoint,
    restore_optimizer,
    save_checkpoint,
    save_checkpoint_sharded,
)
from or1.trainer.collect import collect_groups
from or1.trainer.logging import MetricsLog
from or1.trainer.setup import build_engine, build_optimizer, build_policy, build_scorer, load_data
from or1.trainer.state import TrainState
from or1.trainer.update import policy_update, recompute_old_logp

__all__ = ["Run", "setup", "train", "train_step"]

log = logging.getLogger(__name__)


@dataclass
class Run:
    """Everything a run holds between steps.

    `model` is the trained policy (FSDP-sharded under torchrun); `rollout_model` is the module the engine
    samples from: `model` itself in one process, a full copy on rank 0 under torchrun (None on other
    ranks). With the HF engine rank 0 alone samples and broadcasts each step's batch. A vLLM engine exists
    on every rank (it reads the sharded policy itself) and all ranks sample in lockstep, rank 0 scoring
    for all (`RankZeroScorer`). `metrics` exists on rank 0 only.
    """

    cfg: TrainConfig
    out: Path
    world: World
    model: PreTrainedModel
    rollout_model: PreTrainedModel | None
    tokenizer: PreTrainedTokenizerBase
    optimizer: torch.optim.Optimizer
    engine: RolloutEngine | None
    scorer: RewardRegistry | None
    problems: list[Problem]
    prompt_ids: list[list[int]]
    val_problems: list[Problem]
    schedule: StageSchedule
    state: TrainState
    metrics: MetricsLog | None

    @property
    def main(self) -> bool:
        return self.world.rank == 0

    @property
    def samples(self) -> bool:
        """Whether this rank runs the rollout loops (rank 0, or every rank in lockstep with vLLM)."""
        return self.engine is not None and self.scorer is not None


def setup(cfg: TrainConfig, resume: bool = False) -> Run:
    """Build the run; with `resume`, continue from the newest checkpoint in `out_dir` if there is one.

    Raises:
        CheckpointError: `out_dir` holds checkpoints but `resume` is off, or the checkpoint's config differs.
        DataError / ConfigError / FileNotFoundError: bad data files or model path.
    """
    world = init_distributed()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    out = Path(cfg.out_dir)
    ckpt = latest_checkpoint(out / "checkpoints")
    if ckpt is not None and not resume:
        raise CheckpointError(f"{out} already holds checkpoints (newest {ckpt.name}): pass --resume to continue "
                              "the run, or choose another out_dir")
    fp = fingerprint(cfg)
    saved = load_checkpoint(ckpt, fp) if ckpt is not None else None  # checks the config before any work
    torch.manual_seed(cfg.seed)
    model, tok = build_policy(cfg.model, cfg.seed, path=ckpt / "model" if ckpt else None)
    problems, prompt_ids = load_data(cfg.data.train_files, tok, cfg.data.max_prompt_length)
    val_problems = load_data(cfg.data.val_files, tok, cfg.data.max_prompt_length)[0] if cfg.data.val_files else []
    if cfg.validation.max_problems:
        val_problems = val_problems[: cfg.validation.max_problems]
    e = cfg.entropy
    controller = AdaptiveEntropyController(e.target, e.delta, e.coef_max, e.coef if e.adaptive else 0.0)
    state = TrainState(PromptSampler(len(problems), cfg.seed, cfg.data.shuffle), controller, fp)
    colocated = _colocated(cfg)
    rollout_model = model if colocated or not world.distributed else copy.deepcopy(model) if world.rank == 0 else None
    d = cfg.distributed
    model = wrap_model(model, mixed_precision=d.mixed_precision, activation_checkpointing=d.activation_checkpointing)
    optimizer = build_optimizer(model, cfg.algo)
    if saved is not None and ckpt is not None:
        state.load_state_dict(saved)
        restore_optimizer(ckpt, model, optimizer, distributed=world.distributed)
        log.info("resuming from %s at step %d", ckpt, state.step)
    main = world.rank == 0
    if main:
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.yaml").write_text(dump_config(cfg))
        log.debug("config:\n%s", dump_config(cfg))
    max_len = cfg.data.max_prompt_length + max(st.max_response_length for st in cfg.stages)
    engine = build_engine(cfg.rollout, rollout_model, tok, cfg.ray, max_model_len=max_len,
                          seed=cfg.seed) if rollout_model is not None else None
    scorer = build_scorer(cfg.reward, cfg.ray) if main else None
    if colocated and world.distributed:  # every rank samples in lockstep; rank 0 scores for all
        scorer = RankZeroScorer(scorer)  # type: ignore[assignment]
        engine = DataParallelEngine(engine, world, cfg.rollout.tensor_parallel_size,  # type: ignore[arg-type]
                                    tok.pad_token_id)
    return Run(cfg, out, world, model, rollout_model, tok, optimizer, engine, scorer, problems, prompt_ids,
               val_problems, StageSchedule(cfg.stages), state,
               MetricsLog(out, resume_step=state.step if saved else None) if main else None)


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
        if run.state.step == 0 and cfg.validation.every and run.samples:
            m = validate(run, 0)
            if run.metrics is not None:
                run.metrics.log(0, m)
        with _progress(progress and run.main) as bar:
            task = bar.add_task("train", total=total, completed=run.state.step, info="")
            while run.state.step < end:
                stage = run.schedule.at(run.state.step)
                maybe_offline_filter(run, stage)
                metrics = train_step(run, stage)
                run.state.step += 1
                step = run.state.step
                if cfg.validation.every and (step % cfg.validation.every == 0 or step == total) and run.samples:
                    metrics.update(validate(run, step))
                if run.metrics is not None:
                    run.metrics.log(step, metrics)
                if step % cfg.checkpoint_every == 0 or step == end:
                    ckpt = _save(run, step)
                bar.update(task, completed=step, info=_summary(stage, metrics))
    finally:
        if run.metrics is not None:
            run.metrics.close()
        if run.scorer is not None:
            run.scorer.close()
        close_engine = getattr(run.engine, "close", None)  # Ray rollout actors
        if close_engine is not None:
            close_engine()
        if cfg.ray.enabled and run.main:
            from or1.distributed.ray_cluster import shutdown as shutdown_ray

            shutdown_ray()  # disconnects; a local cluster this process started stops with it
        shutdown_distributed()
    return ckpt


def _save(run: Run, step: int) -> Path:
    save = save_checkpoint_sharded if run.world.distributed else save_checkpoint  # torchrun: every rank writes
    return save(run.out / "checkpoints", step, run.model, run.tokenizer, run.optimizer, run.state.state_dict(),
                dump_config(run.cfg), run.cfg.keep_checkpoints)


def train_step(run: Run, stage: Stage) -> dict[str, float]:
    """One recipe step: rollouts → rewards → informative groups → advantages → PPO-clip updates → α update."""
    cfg, state, w, t0 = run.cfg, run.state, run.world, time.perf_counter()
    batch, metrics = None, {}
    if run.samples:
        batch, metrics = collect_groups(
            run.engine, run.tokenizer, run.scorer, run.problems, run.prompt_ids, state.sampler, stage,
            top_p=cfg.rollout.top_p, seed=_seed(cfg.seed, state.step, 0), online_filter=cfg.filter.online,
            max_refills=cfg.filter.max_refills)
    if not _colocated(cfg):  # rank 0 sampled: the same batch on every rank (identity in one process)
        batch, metrics = broadcast_object((batch, metrics))
    t1 = time.perf_counter()
    if batch is not None:
        a = cfg.algo
        if a.recompute_old_logp:
            batch.old_logp = recompute_old_logp(run.model, batch, stage.temperature, run.tokenizer.pad_token_id,
                                                a.micro_batch_size, a.micro_batch_tokens)
        h_est = estimate_entropy(batch.old_logp, batch.resp_mask)
        coef = _entropy_coef(cfg, state.controller, h_est)
        metrics |= policy_update(run.model, run.optimizer, batch, mini_batch_groups=stage.mini_batch_size,
                                 algo=a, temperature=stage.temperature, entropy_coef=coef,
                                 pad_id=run.tokenizer.pad_token_id, rank=w.rank, world_size=w.world_size,
                                 global_sum=all_reduce_sum if w.distributed else None)
        if cfg.entropy.adaptive:
            state.controller.update(h_est)
        metrics |= {"entropy/coef": coef, "entropy/estimate": h_est}
        sync_rollout_weights(run)
    t2 = time.perf_counter()
    n_tok = float(batch.resp_mask.sum()) if batch is not None else 0.0
    metrics |= {"entropy/alpha": state.controller.coef, "stage/index": stage.index,
                "stage/max_response_length": stage.max_response_length, "perf/rollout_s": t1 - t0,
                "perf/update_s": t2 - t1, "perf/step_s": t2 - t0, "perf/tokens_per_s": n_tok / max(t2 - t0, 1e-9)}
    return metrics


def sync_rollout_weights(run: Run) -> None:
    """Make the rollout engine sample from the updated policy.

    One process: the engine's model is the policy; the engine syncs whatever copy it keeps (vLLM, Ray
    actors). Under torchrun: every rank all-gathers the full weights, rank 0 loads them into its rollout
    model, then its engine syncs; a vLLM engine on every rank gathers the shards itself.
    """
    if run.world.distributed and not _colocated(run.cfg):
        weights = full_state_dict(run.model)  # a collective: every rank calls it; full on rank 0 only
        if run.rollout_model is not None:
            run.rollout_model.load_state_dict(weights)
    if run.engine is not None:
        run.engine.sync_weights()  # vLLM: on every rank together (it gathers the shards itself)


def maybe_offline_filter(run: Run, stage: Stage) -> None:
    """At the start of each stage after the first: drop prompts the policy solves in every sample.

    Rank 0 samples; only its prompt sampler draws the batches, so the other ranks skip the work.
    """
    cfg, state = run.cfg, run.state
    if stage.index <= state.filtered_stage:
        return
    state.filtered_stage = stage.index
    if not cfg.filter.offline or not run.samples:
        return
    n = cfg.filter.offline_samples
    active = state.sampler.active
    params = SamplingParams(n=n, temperature=stage.temperature, top_p=cfg.rollout.top_p,
                            max_tokens=stage.max_response_length)
    samples = sample_and_score(run.engine, run.tokenizer, [run.problems[i] for i in active], run.scorer, params,
                               seed=_seed(cfg.seed, state.step, 500))
    passes = torch.tensor([sum(s.result.correct for s in group) for group in samples])
    keep = offline_keep(passes, n, cfg.filter.offline_drop_unsolved)
    state.sampler.set_active([i for i, k in zip(active, keep.tolist(), strict=True) if k])
    log.info("stage %d offline filter: kept %d of %d prompts", stage.index, int(keep.sum()), len(active))


def validate(run: Run, step: int) -> dict[str, float]:
    """Avg@n on the validation rows at each validation temperature, per data source (ranks that sample)."""
    assert run.engine is not None and run.scorer is not None, "validation runs where rollouts are sampled"
    v, out = run.cfg.validation, {}
    max_tokens = v.max_response_length or run.schedule.at(min(step, run.schedule.total_steps - 1)).max_response_length
    for j, temp in enumerate(v.temperatures):
        params = SamplingParams(n=v.n, temperature=temp, top_p=run.cfg.rollout.top_p, max_tokens=max_tokens)
        samples = sample_and_score(run.engine, run.tokenizer, run.val_problems, run.scorer, params,
                                   seed=_seed(run.cfg.seed, step, 1000 + j))
        by_source: dict[str, list[list[bool]]] = {}
        for group in samples:
            by_source.setdefault(group[0].problem.data_source, []).append([s.result.correct for s in group])
        for src, correct in by_source.items():
            out[f"val/{src}/avg@{v.n}_t{temp:g}"] = avg_at_k(correct)
    return out


def _colocated(cfg: TrainConfig) -> bool:
    """A vLLM engine on every rank, fed from the (sharded) policy: all ranks sample in lockstep."""
    return cfg.rollout.engine == "vllm"


def _entropy_coef(cfg: TrainConfig, controller: AdaptiveEntropyController, h_est: float) -> float:
    if not cfg.entropy.adaptive:
        return cfg.entropy.coef
    return controller.coef if controller.is_active(h_est) else 0.0


def _seed(base: int, step: int, salt: int) -> int:
    """Seed of one sampling call: a function of (run seed, step, purpose) only, so resume is exact."""
    return (base * 1_000_003 + step * 10_007 + salt) % (2**63)


def _summary(stage: Stage, m: dict[str, float]) -> str:
    return (f"stage {stage.index} | reward {m.get('reward/mean', 0):.2f} | kept {m.get('filter/kept_frac', 0):.2f}"
            f" | H {m.get('entropy/estimate', 0):.3f} | α {m.get('entropy/alpha', 0):.4f}")


def _progress(enabled: bool) -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), TextColumn("{task.fields[info]}"), disable=not enabled)
