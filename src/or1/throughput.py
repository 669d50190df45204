"""Throughput model: expected rollout and training time per step of a GRPO run, from first principles.

Rollout (vLLM decode) is memory-bandwidth bound: every decode iteration of an engine reads the weights once
and the KV cache of every active sequence, and yields one token per active sequence. Continuous batching keeps
the KV cache full while requests are queued; the step then waits for the longest responses (the long tail),
which decode with few sequences active, so their iterations cost about one weight read each. Prefill is
compute bound and small next to decode for short math/code prompts.

Training is compute bound: 2·N FLOPs per token and forward pass (N = parameters), plus attention
(2·layers·d_attn·S per token and forward pass for a causal sequence of length S). One PPO epoch is a forward
and a backward (3 passes), one more forward when π_old is recomputed by the trainer (the original, verl,
does; or1 takes vLLM's log-probs unless `algo.recompute_old_logp`), and one more with activation
checkpointing. Time = FLOPs / (GPUs · peak · MFU).

What is calibrated: `Efficiency` (MFU, decode bandwidth utilisation, per-iteration overhead) and the workload
shape (`Workload`: mean response length as a fraction of the stage's max, truncated share, prompt length,
kept share of the online filter) are assumptions, chosen once so that the OR1-32B stage table on 32 H800
predicts the report's 309 h per 1000 steps with ~72% of it in rollout (DESIGN.md §1). The 7B figure
(≈116 h / 1000 steps) is predicted with the same assumptions, not fitted. See docs/launch.md.

    or1 plan configs/or1_32b.yaml [--gpus 64] [--steps 1000]      (the table: `plan.py`)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from or1.config import TrainConfig

__all__ = [
    "GPUS", "MODELS", "Efficiency", "Gpu", "ModelShape", "StagePlan", "StageTime", "Workload", "config_plan",
    "cut_stages", "model_shape", "plan_run", "rollout_seconds", "rollout_share", "step_time", "total_hours",
    "train_flops_per_step", "train_seconds",
]

_BF16 = 2  # bytes per weight and per KV-cache element


@dataclass(frozen=True)
class ModelShape:
    """A decoder-only transformer: what the cost of a token depends on."""

    params: float  # N, parameters
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    intermediate: int  # the MLP's inner width (SwiGLU: gate and up projections)
    vocab: int
    tied: bool = False  # LM head = input embeddings (the three presets: untied)

    @property
    def weight_bytes(self) -> float:
        return self.params * _BF16

    @property
    def kv_bytes_per_token(self) -> float:
        return 2 * self.layers * self.kv_heads * self.head_dim * _BF16  # K and V, every layer

    @property
    def attn_dim(self) -> int:
        return self.heads * self.head_dim


# DeepSeek-R1-Distill-Qwen-7B is Qwen2.5-Math-7B's shape, -32B is Qwen2.5-32B's (their config.json files).
MODELS: dict[str, ModelShape] = {
    "DeepSeek-R1-Distill-Qwen-7B": ModelShape(7.62e9, 28, 3584, 28, 4, 128, 18944, 152064),
    "DeepSeek-R1-Distill-Qwen-32B": ModelShape(32.8e9, 64, 5120, 40, 8, 128, 27648, 152064),
    "DeepSeek-R1-Distill-Qwen-1.5B": ModelShape(1.78e9, 28, 1536, 12, 2, 128, 8960, 151936),
}


@dataclass(frozen=True)
class Gpu:
    """Peak dense BF16 FLOP/s, HBM bandwidth (bytes/s) and memory (bytes) of one GPU."""

    name: str
    peak_flops: float
    mem_bw: float
    mem_bytes: float


# H800 SXM = H100 SXM compute and HBM3 (its NVLink is cut to 400 GB/s, which this model does not use).
GPUS: dict[str, Gpu] = {
    "H800": Gpu("H800", 989e12, 3.35e12, 80e9),
    "H100": Gpu("H100", 989e12, 3.35e12, 80e9),
    "A100": Gpu("A100", 312e12, 2.04e12, 80e9),
    "H200": Gpu("H200", 989e12, 4.8e12, 141e9),  # H100's compute, HBM3e: more and faster memory
}


@dataclass(frozen=True)
class Efficiency:
    """Achieved fractions of peak: ASSUMPTIONS, calibrated on the report's 32B figure (module docstring).

    Attributes:
        train_mfu: model FLOP utilisation of the policy update and log-prob forwards (FSDP, long sequences).
        decode_bw_util: share of HBM bandwidth a decode iteration achieves (weights + KV reads).
        decode_iter_overhead_s: fixed cost per decode iteration (scheduling, launches, TP all-reduce latency).
        prefill_mfu: FLOP utilisation of prompt prefill.
    """

    train_mfu: float = 0.45
    decode_bw_util: float = 0.7
    decode_iter_overhead_s: float = 0.005
    prefill_mfu: float = 0.4  # also bounds a decode iteration's compute


@dataclass(frozen=True)
class Workload:
    """Shape of the sampled data: ASSUMPTIONS (the report gives curves, not these numbers).

    Attributes:
        prompt_len: mean prompt tokens (chat template included; math prompts are short, code ones longer).
        response_frac: mean response length as a fraction of the stage's max response length.
        truncated_frac: share of responses that hit the max length (they set the step's long tail).
        kept_frac: share of responses in informative groups (not all-0/all-1), i.e. kept by the online filter.
        refill: True = or1 samples more prompts until the batch is full of kept groups (rollout grows by
            1/kept_frac, at most 1 + max_refills); False = the original, which trains on the kept part only.
        max_refills: or1's `filter.max_refills`.
        recompute_old_logp: the trainer recomputes π_old with a forward pass (the original's verl does).
        activation_checkpointing: one more forward in backward.
    """

    prompt_len: float = 400
    response_frac: float = 0.25
    truncated_frac: float = 0.05
    kept_frac: float = 0.6
    refill: bool = False
    max_refills: int = 3
    recompute_old_logp: bool = True
    activation_checkpointing: bool = True


@dataclass(frozen=True)
class StagePlan:
    """One stage of a run: steps, max response length T, prompts per step P, group size G."""

    steps: int
    max_response_length: int
    batch_size: int
    group_size: int


@dataclass(frozen=True)
class StageTime:
    """Predicted seconds per step of a stage, and its hours."""

    stage: StagePlan
    rollout_s: float
    train_s: float

    @property
    def step_s(self) -> float:
        return self.rollout_s + self.train_s

    @property
    def hours(self) -> float:
        return self.stage.steps * self.step_s / 3600


def _length_moments(T: float, mean_frac: float, trunc_frac: float) -> tuple[float, float, float]:
    """Response lengths L on [0, T]: survival S(t) = q + (1-q)(1 - t/T)^k, a share q truncated at T.

    k is set so that E[L] = mean_frac·T. Returns (k, E[L], E[L²]).
    """
    q, m = trunc_frac, mean_frac
    if not 0 <= q < m < 1:
        raise ValueError(f"need 0 <= truncated_frac < response_frac < 1, got {q}, {m}")
    k = (1 - q) / (m - q) - 1  # ∫S = q + (1-q)/(k+1) = m
    ex2 = q * T * T + (1 - q) * 2 * T * T / ((k + 1) * (k + 2))  # E[L²] = ∫ 2t S(t) dt
    return k, m * T, ex2


def _rollout_factor(work: Workload) -> float:
    """Responses sampled per response of the nominal batch: > 1 when or1 refills filtered-out groups."""
    return min(1 / work.kept_frac, 1 + work.max_refills) if work.refill else 1.0


def _decode_iter_s(model: ModelShape, gpu: Gpu, eff: Efficiency, tp: int, active: float, ctx: float) -> float:
    """One decode iteration of a `tp`-GPU engine with `active` sequences of mean context `ctx` tokens."""
    read = (model.weight_bytes + active * ctx * model.kv_bytes_per_token) / (tp * gpu.mem_bw * eff.decode_bw_util)
    compute = 2 * model.params * active / (tp * gpu.peak_flops * eff.prefill_mfu)
    return max(read, compute) + eff.decode_iter_overhead_s


def rollout_seconds(model: ModelShape, gpu: Gpu, gpus: int, stage: StagePlan, work: Workload, eff: Efficiency,
                    tp: int, mem_util: float = 0.8, max_num_seqs: int = 1024, slices: int = 512,
                    tail: bool = True) -> float:
    """Seconds to sample one step's responses with `gpus // tp` vLLM engines sharing them equally.

    Per engine with n sequences and concurrency B (limited by max_num_seqs and the KV cache):
    the first n - B sequences stream through a full cache, B at a time; the last B then decode together,
    n·S(t) of them still active at position t, until the truncated ones stop at T (the long tail).
    `tail=False`: all n stream through a full cache, as when the next step's requests fill the tail in
    (an engine fed without pause across steps, `async_split`).
    """
    T = stage.max_response_length
    k, el, el2 = _length_moments(T, work.response_frac, work.truncated_frac)
    n_resp = stage.batch_size * stage.group_size * _rollout_factor(work)
    engines = max(1, gpus // tp)
    n = math.ceil(n_resp / engines)
    kv_tokens = (mem_util * gpu.mem_bytes * tp - model.weight_bytes) / model.kv_bytes_per_token
    if kv_tokens <= 0:
        raise ValueError(f"{model.params / 1e9:.0f}B weights do not fit tensor_parallel_size={tp} at {mem_util}")
    ctx_active = work.prompt_len + el2 / (2 * el)  # length-biased: long responses are active longer
    B = max(1.0, min(n, max_num_seqs, kv_tokens / ctx_active))
    prefill = 2 * model.params * n_resp * work.prompt_len / (gpus * gpu.peak_flops * eff.prefill_mfu)
    if not tail:
        return n * el / B * _decode_iter_s(model, gpu, eff, tp, B, ctx_active) + prefill
    bulk = max(0.0, n - B) * el / B * _decode_iter_s(model, gpu, eff, tp, B, ctx_active)
    tail_s, dt = 0.0, T / slices
    for i in range(slices):  # the last B sequences: ∫ iteration time over decode positions t
        t = (i + 0.5) * dt
        active = B * (work.truncated_frac + (1 - work.truncated_frac) * (1 - t / T) ** k)
        tail_s += dt * _decode_iter_s(model, gpu, eff, tp, active, work.prompt_len + t)
    return bulk + tail_s + prefill


def train_flops_per_step(model: ModelShape, stage: StagePlan, work: Workload) -> float:
    """FLOPs of one step's policy update (and π_old forward if recomputed).

    Per token and forward pass: 2·N + 2·layers·d_attn·E[S²]/E[S] (causal attention over a sequence of
    length S = prompt + response). Passes: 3 (forward + backward) + 1 (π_old) + 1 (checkpointing).
    """
    T = stage.max_response_length
    _, el, el2 = _length_moments(T, work.response_frac, work.truncated_frac)
    lp = work.prompt_len
    es, es2 = lp + el, lp * lp + 2 * lp * el + el2
    n_train = stage.batch_size * stage.group_size * (1.0 if work.refill else work.kept_frac)
    tokens = n_train * es
    per_token = 2 * model.params + 2 * model.layers * model.attn_dim * es2 / es
    passes = 3 + int(work.recompute_old_logp) + int(work.activation_checkpointing)
    return passes * per_token * tokens


def train_seconds(model: ModelShape, gpu: Gpu, gpus: int, stage: StagePlan, work: Workload,
                  eff: Efficiency) -> float:
    """Seconds of one step's training: FLOPs / (GPUs · peak · MFU)."""
    return train_flops_per_step(model, stage, work) / (gpus * gpu.peak_flops * eff.train_mfu)


def step_time(model: ModelShape, gpu: Gpu, gpus: int, stage: StagePlan, work: Workload, eff: Efficiency,
              tp: int, mem_util: float = 0.8) -> StageTime:
    """Rollout and training seconds per step of `stage` (colocated: the same GPUs do both, in turn)."""
    return StageTime(stage, rollout_seconds(model, gpu, gpus, stage, work, eff, tp, mem_util),
                     train_seconds(model, gpu, gpus, stage, work, eff))


def plan_run(model: ModelShape, gpu: Gpu, gpus: int, stages: Sequence[StagePlan], work: Workload = Workload(),
             eff: Efficiency = Efficiency(), tp: int | None = None, max_steps: int | None = None,
             mem_util: float = 0.8) -> list[StageTime]:
    """Per-stage predictions, optionally cut after `max_steps` steps (e.g. the report's 1000).

    `tp` defaults to the smallest power of two whose GPUs hold the weights in half of `mem_util`.
    """
    if tp is None:
        tp = 1
        while model.weight_bytes > 0.5 * mem_util * gpu.mem_bytes * tp and tp < 8:
            tp *= 2
    return [step_time(model, gpu, gpus, s, work, eff, tp, mem_util) for s in cut_stages(stages, max_steps)]


def cut_stages(stages: Sequence[StagePlan], max_steps: int | None) -> list[StagePlan]:
    """The stages of a run that stops after `max_steps` steps (None: all of them), the last one shortened."""
    out, done = [], 0
    for s in stages:
        steps = s.steps if max_steps is None else min(s.steps, max_steps - done)
        if steps <= 0:
            break
        out.append(replace(s, steps=steps))
        done += steps
    return out


def config_plan(cfg: TrainConfig, original: bool = False) -> tuple[list[StagePlan], Workload]:
    """Stage plans and workload of a training config.

    `original=True` models the original pipeline the report timed (no refill, π_old recomputed by the
    trainer); otherwise or1's settings: refill when `filter.online`, `algo.recompute_old_logp`.
    """
    stages = [StagePlan(s.steps, s.max_response_length, s.batch_size, s.group_size) for s in cfg.stages]
    work = replace(Workload(), activation_checkpointing=cfg.distributed.activation_checkpointing)
    if not original:
        work = replace(work, refill=cfg.filter.online and cfg.filter.max_refills > 0,
                       max_refills=cfg.filter.max_refills, recompute_old_logp=cfg.algo.recompute_old_logp)
    return stages, work


def model_shape(path: str | None) -> tuple[str, ModelShape] | None:
    """The preset whose name ends `model.path` (a hub id or a directory named after it), if any."""
    for name, shape in MODELS.items():
        if path and path.rstrip("/").endswith(name):
            return name, shape
    return None


def total_hours(rows: Sequence[StageTime]) -> float:
    return sum(r.hours for r in rows)


def rollout_share(rows: Sequence[StageTime]) -> float:
    """Share of the run's time spent sampling."""
    return sum(r.rollout_s * r.stage.steps for r in rows) / sum(r.step_s * r.stage.steps for r in rows)
