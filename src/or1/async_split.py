"""Async split model: the step time when R GPUs sample and the other N − R train, at the same time.

Colocated (`rollout.mode: sync` with vLLM on every rank), the N GPUs sample, then train, in turn:

    step_colocated = rollout(N) + train(N)

Asynchronous with a split (`rollout.mode: async`, staleness s ≥ 1), rollout engines on R GPUs sample step
k + 1 from weights one update old while the trainer updates step k on N − R GPUs; after each update the bf16
weights are broadcast to the engines, and both sides wait for that:

    step_async(R) = max(rollout(R), train(N − R)) + sync,     sync = weight bytes / sync bandwidth

s = 1 is enough for full overlap in this model (it has no step-to-step variance; a larger s only absorbs
uneven steps). Where does a speed-up come from, if both sides scale with their GPUs? From the long tail: a
step's rollout ends with the longest responses decoding with few sequences active, an iteration costing
about one weight read however many engines there are (`throughput.rollout_seconds`). On fewer GPUs each
engine holds more sequences, so the same tail is shared by more work, and the trainer no longer idles
through it. Under perfectly linear scaling of both sides the best split would give no speed-up at all:
the balanced split R/N = rollout share gives the colocated time back.

Worked numbers (tests/test_async_split.py, `--original`, H800): OR1-7B's first stage on 32 GPUs is
246 + 65 = 311 s/step colocated; 24 rollout + 8 training GPUs: max(265, 261) + 0.6 = 266 s, 1.17x. OR1-32B's
on 32 GPUs: 558 + 275 = 833 s colocated; the trainer fits on no fewer than 16 GPUs, and 16 + 16 gives
max(970, 549) + 2.6 = 973 s, 0.86x: a slower run. The ceiling of a step-wise split is
(rollout(N) + train(N)) / rollout(N) = 1 / rollout share, since rollout(R) >= rollout(N).

A split is feasible when R is a multiple of the engines' tensor-parallel size and the trainer's sharded
state and activations fit on N − R GPUs (`train_memory`, with 10% left for the allocator).

    or1 plan configs/or1_32b.yaml --async [--rollout-gpus R]      (the table: `plan.py`)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from or1.throughput import (
    Efficiency,
    Gpu,
    ModelShape,
    StagePlan,
    Workload,
    cut_stages,
    rollout_seconds,
    step_time,
    train_seconds,
)
from or1.train_memory import train_memory

__all__ = ["SYNC_BANDWIDTH", "SplitPlan", "SplitStage", "best_split", "colocated_hours", "plan_split", "plan_splits"]

# ASSUMPTION: effective bytes/s of the per-step weight broadcast from the trainer to the engines (bucketed
# NCCL over InfiniBand, every engine receiving at once); 32B bf16 weights take ~2.6 s at this rate.
SYNC_BANDWIDTH = 25e9
_WORK, _EFF = Workload(), Efficiency()  # throughput's defaults (frozen)
_MEMORY_HEADROOM = 0.9  # of a GPU's memory the trainer may plan for (fragmentation, buffers)


@dataclass(frozen=True)
class SplitStage:
    """Seconds per step of one stage with R rollout GPUs and the rest training."""

    stage: StagePlan
    rollout_s: float
    train_s: float
    sync_s: float
    colocated_s: float  # rollout(N) + train(N), the same stage on all GPUs in turn

    @property
    def step_s(self) -> float:
        return max(self.rollout_s, self.train_s) + self.sync_s

    @property
    def hours(self) -> float:
        return self.stage.steps * self.step_s / 3600

    @property
    def bound(self) -> str:
        """The slower side, which the other waits for: 'rollout' or 'train'."""
        return "rollout" if self.rollout_s >= self.train_s else "train"


@dataclass(frozen=True)
class SplitPlan:
    """One split of N GPUs over a run's stages, or why it is not feasible (`infeasible` names the reason)."""

    rollout_gpus: int
    train_gpus: int
    stages: tuple[SplitStage, ...]
    infeasible: str | None = None

    @property
    def hours(self) -> float:
        return sum(s.hours for s in self.stages)

    @property
    def speedup(self) -> float:
        """Colocated hours over this split's hours."""
        return colocated_hours(self.stages) / self.hours


def colocated_hours(stages: Sequence[SplitStage]) -> float:
    return sum(s.stage.steps * s.colocated_s for s in stages) / 3600


def plan_split(model: ModelShape, gpu: Gpu, gpus: int, rollout_gpus: int, stages: Sequence[StagePlan],
               work: Workload = _WORK, eff: Efficiency = _EFF, tp: int = 1, mem_util: float = 0.8,
               micro_batch_tokens: int = 32768, activation_checkpointing: bool = True,
               sync_bandwidth: float = SYNC_BANDWIDTH, streaming: bool = False) -> SplitPlan:
    """Per-stage step times of R = `rollout_gpus` sampling and N − R training (module docstring).

    `streaming=True`: the engines admit the next step's requests while this step's longest responses finish
    (no tail per step); or1's worker samples whole steps one after another (False).

    Raises:
        ValueError: R not in [1, N - 1].
    """
    if not 1 <= rollout_gpus < gpus:
        raise ValueError(f"need 1 <= rollout GPUs < {gpus} GPUs, got {rollout_gpus}")
    train_gpus = gpus - rollout_gpus
    infeasible = None
    if rollout_gpus % tp:
        infeasible = f"not a multiple of tensor_parallel_size={tp}"
    else:
        mem = train_memory(model, train_gpus, micro_batch_tokens, activation_checkpointing).total
        if mem > _MEMORY_HEADROOM * gpu.mem_bytes:
            infeasible = f"trainer needs {mem / 1e9:.0f} GB/GPU"
    rows = []
    for s in stages:
        if infeasible:
            break
        rows.append(SplitStage(
            s, rollout_seconds(model, gpu, rollout_gpus, s, work, eff, tp, mem_util, tail=not streaming),
            train_seconds(model, gpu, train_gpus, s, work, eff), model.weight_bytes / sync_bandwidth,
            step_time(model, gpu, gpus, s, work, eff, tp, mem_util).step_s))
    return SplitPlan(rollout_gpus, train_gpus, tuple(rows), infeasible)


def plan_splits(model: ModelShape, gpu: Gpu, gpus: int, stages: Sequence[StagePlan], work: Workload = _WORK,
                eff: Efficiency = _EFF, tp: int = 1, mem_util: float = 0.8, micro_batch_tokens: int = 32768,
                activation_checkpointing: bool = True, max_steps: int | None = None,
                streaming: bool = False) -> list[SplitPlan]:
    """Every split R = tp, 2·tp, … < N, feasible or not, over the stages cut after `max_steps` steps."""
    cut = cut_stages(stages, max_steps)
    return [plan_split(model, gpu, gpus, r, cut, work, eff, tp, mem_util, micro_batch_tokens,
                       activation_checkpointing, streaming=streaming) for r in range(tp, gpus, tp)]


def best_split(plans: Sequence[SplitPlan]) -> SplitPlan | None:
    """The feasible split with the fewest hours, or None when none is feasible."""
    ok = [p for p in plans if p.infeasible is None]
    return min(ok, key=lambda p: p.hours) if ok else None
