"""Where a step's rollouts come from: one object, chosen once at setup, behind the `RolloutSide` protocol.

- `InProcessRollouts`: one process (HF engine, vLLM, Ray actors), and vLLM on every torchrun rank.
  `collect` samples here (with vLLM every rank its share, in lockstep, rank 0 scoring for all);
  `after_step` lets the engine sync its copy (nothing to do for the HF engine on the module itself).
- `RankZeroRollouts`: torchrun with the HF engine. Rank 0 samples from its full copy of the weights and
  broadcasts the batch; after an update every rank all-gathers the weights into that copy.
- `AsyncRollouts` (`async_rollout.py`): `rollout.mode: async`. `collect` takes the batch a worker process
  sampled ahead, from weights up to `rollout.max_staleness` steps old; `after_step` sends it the new
  weights.

`loop.train_step` keeps only the recipe: `collect`, train, `after_step`. `sample_step` and
`offline_filter` are the sampling itself, the same in the trainer process and in the rollout worker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import torch
from torch import nn
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
from or1.trainer.samples_log import SampleLog, ScoredRollouts
from or1.trainer.state import TrainState

if TYPE_CHECKING:
    from rich.progress import Progress

__all__ = ["InProcessRollouts", "RankZeroRollouts", "RolloutSide", "SamplingParts", "StepRollouts", "offline_filter",
           "sample_step", "step_seed", "sync_rollout_side"]

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
    """The rollout side of a run: one of the implementations above, holding what it samples with."""

    def collect(self, state: TrainState, stage: Stage, bar: Progress | None = None) -> StepRollouts:
        """The rollouts of step `state.step` (its offline filter first, at a stage's start)."""
        ...

    def after_step(self, updated: bool) -> None:
        """End of every step (every rank calls it): make the sampling side see the weights the step left.

        `updated` is False when the step made no update (every group filtered out): the weights are those
        of the step before, and a side that counts weight versions by step still advances.
        """
        ...

    def checkpoint_state(self, state: TrainState) -> dict[str, Any]:
        """What a checkpoint must hold beyond the train state to resume exactly ({} when nothing)."""
        ...

    def close(self) -> None:
        """Stop what the side started (the async worker); idempotent."""
        ...


@dataclass
class SamplingParts:
    """What sampling in the trainer's process needs; `engine` and `scorer` are None on a rank that does not
    sample (torchrun with the HF engine: ranks other than 0)."""

    cfg: TrainConfig
    engine: RolloutEngine | None
    scorer: RewardScorer | None
    tokenizer: PreTrainedTokenizerBase
    problems: list[Problem]
    prompt_ids: list[list[int]]
    samples_log: SampleLog | None = None  # rank 0: which steps keep their first try's responses


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


class InProcessRollouts:
    """Sampling in the trainer's process, on the weights being trained (or the engine's synced copy).

    One process: the HF engine samples the trained module itself; vLLM and Ray actors hold copies the
    engine syncs. Under torchrun with vLLM every rank samples its share in lockstep (`DataParallelEngine`,
    rank 0 scoring for all), so every rank already holds the whole batch.
    """

    def __init__(self, parts: SamplingParts) -> None:
        self.parts = parts

    def collect(self, state: TrainState, stage: Stage, bar: Progress | None = None) -> StepRollouts:
        p = self.parts
        self.maybe_offline_filter(state, stage, bar)
        if p.engine is None or p.scorer is None:  # a rank that does not sample
            return StepRollouts(None, {})
        keep = p.samples_log is not None and p.samples_log.due(state.step + 1)
        return sample_step(p.engine, p.tokenizer, p.scorer, p.problems, p.prompt_ids, state.sampler, stage, p.cfg,
                           state.step, keep)

    def maybe_offline_filter(self, state: TrainState, stage: Stage, bar: Progress | None = None) -> None:
        """At the start of each stage after the first: the offline filter, on the ranks that sample.

        Only the sampling rank's prompt sampler draws the batches, so the other ranks skip the work. With
        `bar` (the train display), a bar counts the prompts sampled.
        """
        p = self.parts
        if stage.index <= state.filtered_stage:
            return
        state.filtered_stage = stage.index
        if not p.cfg.filter.offline or p.engine is None or p.scorer is None:
            return
        with subtask(bar, f"offline filter (stage {stage.index})", len(state.sampler.active)) as advance:
            log.info("%s", offline_filter(p.engine, p.tokenizer, p.scorer, p.problems, state.sampler, stage, p.cfg,
                                          state.step, on_progress=advance))

    def after_step(self, updated: bool) -> None:
        if updated and self.parts.engine is not None:
            self.parts.engine.sync_weights()  # vLLM: on every rank together (it gathers the shards itself)

    def checkpoint_state(self, state: TrainState) -> dict[str, Any]:
        return {}

    def close(self) -> None:
        pass


class RankZeroRollouts(InProcessRollouts):
    """torchrun with the HF engine: rank 0 samples from its full copy of the weights (`rollout_model`), as
    one process would, and broadcasts the batch; after each update every rank all-gathers the weights of
    the sharded `model` into that copy."""

    def __init__(self, parts: SamplingParts, model: nn.Module, rollout_model: nn.Module | None) -> None:
        super().__init__(parts)
        self.model, self.rollout_model = model, rollout_model

    def collect(self, state: TrainState, stage: Stage, bar: Progress | None = None) -> StepRollouts:
        got = super().collect(state, stage, bar)
        got.batch, got.metrics = broadcast_object((got.batch, got.metrics))
        return got

    def after_step(self, updated: bool) -> None:
        if not updated:
            return
        weights = full_state_dict(self.model)  # a collective: every rank calls it; full on rank 0 only
        if self.rollout_model is not None:
            self.rollout_model.load_state_dict(weights)
        super().after_step(updated)


def sync_rollout_side(parts: SamplingParts, world: World, model: nn.Module, rollout_model: nn.Module | None
                      ) -> InProcessRollouts:
    """The synchronous side of this run: rank 0 broadcasting under torchrun with the HF engine, else here."""
    if world.distributed and parts.cfg.rollout.engine != "vllm":
        return RankZeroRollouts(parts, model, rollout_model)
    return InProcessRollouts(parts)
