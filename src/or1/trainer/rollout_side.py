"""Where a step's rollouts come from: one object, chosen once at setup, behind the `RolloutSide` protocol.

- `InProcessRollouts`: one process (HF engine, vLLM, Ray actors), and vLLM on every torchrun rank.
  `collect` samples here (with vLLM every rank its share, in lockstep, rank 0 scoring for all);
  `after_update` lets the engine sync its copy (nothing to do for the HF engine on the module itself).
- `RankZeroRollouts`: torchrun with the HF engine. Rank 0 samples from its full copy of the weights and
  broadcasts the batch; after an update every rank all-gathers the weights into that copy.
- `AsyncRollouts` (`async_rollout.py`): `rollout.mode: async`. `collect` takes the batch a worker process
  sampled ahead, from weights up to `rollout.max_staleness` updates old; `after_update` sends it the new
  weights.

`loop.train_step` keeps only the recipe: `collect`, train, `after_update`. `sample_step` and
`offline_filter` are the sampling itself, the same in the trainer process and in the rollout worker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import torch
from transformers import PreTrainedTokenizerBase

from or1.algo.filtering import offline_keep
from or1.algo.stages import Stage
from or1.config import TrainConfig
from or1.distributed import World, broadcast_object, full_state_dict
from or1.problems.schema import Problem
from or1.rewards.registry import RewardScorer
from or1.rollout.types import RolloutBatch, RolloutEngine, SamplingParams
from or1.sampling import sample_and_score
from or1.trainer.collect import collect_groups
from or1.trainer.progress import subtask
from or1.trainer.prompt_sampler import PromptSampler
from or1.trainer.samples_log import ScoredRollouts

if TYPE_CHECKING:
    from rich.progress import Progress

    from or1.trainer.run import Run

__all__ = ["InProcessRollouts", "RankZeroRollouts", "RolloutSide", "StepRollouts", "maybe_offline_filter",
           "offline_filter", "sample_step", "step_seed", "sync_rollout_side"]

log = logging.getLogger(__name__)


@dataclass
class StepRollouts:
    """A step's rollouts as the trainer receives them.

    Attributes:
        batch: the informative groups (None when every group was filtered out, even after refills).
        metrics: rollout statistics of the step's first try (reward, lengths, statuses, filter counts).
        scored: the first try's responses with their verdicts, on a step that logs them
            (`samples_log.sample_due`).
        notes: lines for the run's log (the offline filter's count), written by the trainer process.
    """

    batch: RolloutBatch | None
    metrics: dict[str, float]
    scored: ScoredRollouts | None = None
    notes: list[str] = field(default_factory=list)


class RolloutSide(Protocol):
    """The rollout side of a run: one of the implementations in the table above."""

    def collect(self, run: Run, stage: Stage, bar: Progress | None = None) -> StepRollouts:
        """The rollouts of step `run.state.step` (its offline filter first, at a stage's start)."""
        ...

    def after_update(self, run: Run) -> None:
        """Make the sampling side see the weights the update just produced."""
        ...

    def checkpoint_state(self, run: Run) -> dict[str, Any]:
        """What a checkpoint must hold beyond the train state to resume exactly ({} when nothing)."""
        ...

    def close(self) -> None:
        """Stop what the side started (the async worker); idempotent."""
        ...


def step_seed(base: int, step: int, salt: int) -> int:
    """Seed of one sampling call: a function of (run seed, step, purpose) only, so resume is exact."""
    return (base * 1_000_003 + step * 10_007 + salt) % (2**63)


def sample_step(engine: RolloutEngine, tokenizer: PreTrainedTokenizerBase, scorer: RewardScorer,
                problems: list[Problem], prompt_ids: list[list[int]], sampler: PromptSampler, stage: Stage,
                cfg: TrainConfig, step: int, keep_samples: bool) -> StepRollouts:
    """Sample, score and filter step `step`'s groups (`collect.collect_groups`), seeded by (seed, step)."""
    scored: list[ScoredRollouts] = []
    batch, metrics = collect_groups(
        engine, tokenizer, scorer, problems, prompt_ids, sampler, stage, top_p=cfg.rollout.top_p,
        seed=step_seed(cfg.seed, step, 0), online_filter=cfg.filter.online, max_refills=cfg.filter.max_refills,
        on_first_try=scored.append if keep_samples else None)
    return StepRollouts(batch, metrics, scored[0] if scored else None)


def offline_filter(engine: RolloutEngine, tokenizer: PreTrainedTokenizerBase, scorer: RewardScorer,
                   problems: list[Problem], sampler: PromptSampler, stage: Stage, cfg: TrainConfig, step: int,
                   on_progress: Callable[[int], None] | None = None) -> str:
    """Drop the prompts the policy solves in every one of `filter.offline_samples` samples; returns the log
    line that counts them. Seeded by (seed, step), so the kept set is a function of the weights only."""
    n = cfg.filter.offline_samples
    active = sampler.active
    params = SamplingParams(n=n, temperature=stage.temperature, top_p=cfg.rollout.top_p,
                            max_tokens=stage.max_response_length)
    samples = sample_and_score(engine, tokenizer, [problems[i] for i in active], scorer, params,
                               seed=step_seed(cfg.seed, step, 500), on_progress=on_progress)
    passes = torch.tensor([sum(s.result.correct for s in group) for group in samples])
    keep = offline_keep(passes, n, cfg.filter.offline_drop_unsolved)
    sampler.set_active([i for i, k in zip(active, keep.tolist(), strict=True) if k])
    return f"stage {stage.index} offline filter: kept {int(keep.sum())} of {len(active)} prompts"


def maybe_offline_filter(run: Run, stage: Stage, bar: Progress | None = None) -> None:
    """At the start of each stage after the first: the offline filter, on the ranks that sample.

    Only the sampling rank's prompt sampler draws the batches, so the other ranks skip the work. With `bar`
    (the train display), a bar counts the prompts sampled.
    """
    cfg, state = run.cfg, run.state
    if stage.index <= state.filtered_stage:
        return
    state.filtered_stage = stage.index
    if not cfg.filter.offline or run.engine is None or run.scorer is None:  # not run.samples
        return
    with subtask(bar, f"offline filter (stage {stage.index})", len(state.sampler.active)) as advance:
        log.info("%s", offline_filter(run.engine, run.tokenizer, run.scorer, run.problems, state.sampler, stage,
                                      cfg, state.step, on_progress=advance))


def _sample_here(run: Run, stage: Stage, bar: Progress | None) -> StepRollouts:
    maybe_offline_filter(run, stage, bar)
    if run.engine is None or run.scorer is None:  # a rank that does not sample
        return StepRollouts(None, {})
    keep = run.samples_log is not None and run.samples_log.due(run.state.step + 1)
    return sample_step(run.engine, run.tokenizer, run.scorer, run.problems, run.prompt_ids, run.state.sampler,
                       stage, run.cfg, run.state.step, keep)


class InProcessRollouts:
    """Sampling in the trainer's process, on the weights being trained (or the engine's synced copy).

    One process: the HF engine samples the trained module itself; vLLM and Ray actors hold copies the
    engine syncs. Under torchrun with vLLM every rank samples its share in lockstep (`DataParallelEngine`,
    rank 0 scoring for all), so every rank already holds the whole batch.
    """

    def collect(self, run: Run, stage: Stage, bar: Progress | None = None) -> StepRollouts:
        return _sample_here(run, stage, bar)

    def after_update(self, run: Run) -> None:
        if run.engine is not None:
            run.engine.sync_weights()  # vLLM: on every rank together (it gathers the shards itself)

    def checkpoint_state(self, run: Run) -> dict[str, Any]:
        return {}

    def close(self) -> None:
        pass


class RankZeroRollouts:
    """torchrun with the HF engine: rank 0 samples from its full copy of the weights, as one process would,
    and broadcasts the batch; after each update every rank all-gathers the weights into that copy."""

    def collect(self, run: Run, stage: Stage, bar: Progress | None = None) -> StepRollouts:
        got = _sample_here(run, stage, bar)
        got.batch, got.metrics = broadcast_object((got.batch, got.metrics))
        return got

    def after_update(self, run: Run) -> None:
        weights = full_state_dict(run.model)  # a collective: every rank calls it; full on rank 0 only
        if run.rollout_model is not None:
            run.rollout_model.load_state_dict(weights)
        if run.engine is not None:
            run.engine.sync_weights()

    def checkpoint_state(self, run: Run) -> dict[str, Any]:
        return {}

    def close(self) -> None:
        pass


def sync_rollout_side(cfg: TrainConfig, world: World) -> InProcessRollouts | RankZeroRollouts:
    """The synchronous side for this run: rank 0 broadcasting under torchrun with the HF engine, else here."""
    return RankZeroRollouts() if world.distributed and cfg.rollout.engine != "vllm" else InProcessRollouts()
