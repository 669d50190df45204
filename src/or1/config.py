"""Typed configuration: every default lives here and only here (STYLE.md "Config").

Nested frozen dataclasses; `__post_init__` checks ranges and cross-field rules and names the dotted key.
The tree of `or1 train` (`TrainConfig`), then the settings of the other commands: `VerifyConfig` (the
verifiers, also `RewardConfig`'s base), `EvalConfig` (`or1 eval`) and the options of each data pipeline
step (`IngestOptions` ... `JudgeOptions`, `or1 data`). YAML loading, unknown-key suggestions and
`key.sub=value` overrides are in `config_load.py`; flags built from fields in `config_flags.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar, Literal

__all__ = [
    "ABILITIES", "ASYNC_TIS_CAP", "CODE_FORMATS", "INGEST_FIELDS", "JUDGE_PROMPT", "AlgoConfig", "CleanOptions",
    "ConfigError", "DataConfig", "DecontamOptions", "DedupOptions", "DifficultyOptions", "DistributedConfig",
    "EntropyConfig", "EvalConfig", "FilterConfig", "IngestOptions", "JudgeOptions", "LoggingConfig", "ModelConfig",
    "RayConfig", "RewardConfig", "RolloutConfig", "SelectOptions", "StageConfig", "TrainConfig", "ValidationConfig",
    "VerifyConfig", "WatchdogConfig", "WeightDtype", "parse_keep",
]

WeightDtype = Literal["float32", "bfloat16"]  # of a model's weights (model.dtype, eval --dtype)
ASYNC_TIS_CAP = 2.0  # algo.tis_cap when rollout.mode=async leaves it null: the correction is on in async mode


class ConfigError(ValueError):
    """A bad configuration value or key; the message names the dotted key."""


def _check(ok: bool, msg: str) -> None:
    if not ok:
        raise ConfigError(msg)


@dataclass(frozen=True)
class ModelConfig:
    """The policy. `path` is an HF model directory; null builds the tiny CPU model below."""

    path: str | None = None
    hidden_size: int = 128  # tiny model only
    num_layers: int = 4
    num_heads: int = 4
    num_kv_heads: int = 2
    intermediate_size: int = 512
    # The trained (master) weights and AdamW state. float32 with distributed.mixed_precision for bf16 compute;
    # bfloat16 = pure bf16 (half the memory, but bf16's 8 bits drop updates below ~|w|/512: at lr 1e-6 most
    # weights never move, warned at setup); bfloat16 with mixed_precision is a ConfigError.
    dtype: WeightDtype = "float32"

    def __post_init__(self) -> None:
        _check(self.hidden_size % self.num_heads == 0,
               f"model.hidden_size={self.hidden_size} must be divisible by model.num_heads={self.num_heads}")
        _check(self.num_heads % self.num_kv_heads == 0,
               f"model.num_heads={self.num_heads} must be divisible by model.num_kv_heads={self.num_kv_heads}")


@dataclass(frozen=True)
class DataConfig:
    """Training and validation parquet files in the release schema (DESIGN.md §3)."""

    train_files: tuple[str, ...] = ()
    val_files: tuple[str, ...] = ()
    max_prompt_length: int = 2048  # tokens; longer prompts are dropped at load (the paper's 2048)
    shuffle: bool = True
    skip_invalid: bool = False  # rows that can never earn reward (empty gold or prompt): false = error at load

    def __post_init__(self) -> None:
        _check(len(self.train_files) > 0, "data.train_files must list at least one parquet file")
        _check(self.max_prompt_length > 0, f"data.max_prompt_length={self.max_prompt_length} must be > 0")


@dataclass(frozen=True)
class RolloutConfig:
    """Which engine samples the rollouts: "hf" (any device, the trainer's own model) or "vllm" (GPU extra)."""

    engine: Literal["hf", "vllm"] = "hf"
    top_p: float = 1.0  # the recipe samples with top_p 1.0
    max_batch: int = 512  # responses decoded together by the HF engine
    gpu_memory_utilization: float = 0.6  # vLLM: share of each GPU's memory for weights + KV cache
    tensor_parallel_size: int = 1  # vLLM: GPUs per engine replica (32B at 24K+ context: 2-4)
    # "sync": each step samples from the weights it trains (the recipe). "async": a rollout worker (a process,
    # or a Ray actor with ray.enabled) samples step k+1.. while the trainer updates on step k, from weights at
    # most `max_staleness` steps old (step k's batch always from version k - max_staleness: a function of the
    # seed, never of timing). docs/async.md
    mode: Literal["sync", "async"] = "sync"
    max_staleness: int = 1  # async: s >= 1, the steps between the sampling and the trained weights
    worker_threads: int | None = None  # async: torch threads of the rollout worker; null = torch's default

    def __post_init__(self) -> None:
        _check(0.0 < self.top_p <= 1.0, f"rollout.top_p={self.top_p} must be in (0, 1]")
        _check(self.max_batch >= 1, f"rollout.max_batch={self.max_batch} must be >= 1")
        _check(0.0 < self.gpu_memory_utilization <= 1.0,
               f"rollout.gpu_memory_utilization={self.gpu_memory_utilization} must be in (0, 1]")
        _check(self.tensor_parallel_size >= 1,
               f"rollout.tensor_parallel_size={self.tensor_parallel_size} must be >= 1")
        _check(self.mode in ("sync", "async"), f"rollout.mode={self.mode!r}: known modes are 'sync' and 'async'")
        _check(self.max_staleness >= 1, f"rollout.max_staleness={self.max_staleness} must be >= 1 (sync mode is "
               "rollout.mode=sync)")
        _check(self.worker_threads is None or self.worker_threads >= 1,
               f"rollout.worker_threads={self.worker_threads} must be >= 1 (or null)")


@dataclass(frozen=True)
class StageConfig:
    """One row of the paper's stage tables (DESIGN.md §1)."""

    steps: int
    max_response_length: int  # tokens (8K/16K/32K at scale)
    batch_size: int  # prompts per step (256)
    mini_batch_size: int  # prompts per optimiser update (128 or 256)
    group_size: int  # responses per prompt n (16)
    temperature: float = 1.0


@dataclass(frozen=True)
class AlgoConfig:
    lr: float = 1e-6  # constant, as in the paper
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    clip_low: float = 0.2  # ε_low
    clip_high: float = 0.2  # ε_high; "clip-higher" 0.25-0.265 helped in the report
    adv_eps: float = 1e-6
    micro_batch_size: int = 64  # responses per forward/backward; never changes the result
    micro_batch_tokens: int | None = None  # token budget per forward/backward (padded prompt+response); null = off
    mask_truncated: bool = False  # the report's ablation: masking truncated responses hurt
    recompute_old_logp: bool = False  # recompute π_old with the trainer's forward instead of the engine's
    # Truncated importance sampling (algo/importance.py): weight each token's loss by min(π_old/π_β, tis_cap),
    # π_β the engine's log-probs (vLLM's numerics, older weights). null = off; needs recompute_old_logp.
    tis_cap: float | None = None
    tis_level: Literal["token", "sequence"] = "token"

    def __post_init__(self) -> None:
        _check(self.lr > 0, f"algo.lr={self.lr} must be > 0")
        _check(0 <= self.clip_low < 1, f"algo.clip_low={self.clip_low} must be in [0, 1)")
        _check(self.clip_high >= 0, f"algo.clip_high={self.clip_high} must be >= 0")
        _check(self.grad_clip > 0, f"algo.grad_clip={self.grad_clip} must be > 0")
        _check(self.micro_batch_size >= 1, f"algo.micro_batch_size={self.micro_batch_size} must be >= 1")
        _check(self.micro_batch_tokens is None or self.micro_batch_tokens >= 1,
               f"algo.micro_batch_tokens={self.micro_batch_tokens} must be >= 1 (or null)")
        _check(self.tis_cap is None or self.tis_cap >= 1, f"algo.tis_cap={self.tis_cap} must be >= 1 (or null)")
        _check(self.tis_cap is None or self.recompute_old_logp,
               "algo.tis_cap needs algo.recompute_old_logp=true: the weight compares the trainer's π_old with "
               "the engine's log-probs, which are π_old itself otherwise")


@dataclass(frozen=True)
class EntropyConfig:
    """MAGIC adaptive entropy control; `adaptive: false` uses the fixed `coef` (0 = off)."""

    adaptive: bool = True
    target: float = 0.2  # H*
    delta: float = 1e-4  # Δ per step (the released scripts; the report text quotes 0.005)
    coef_max: float = 0.005  # α_max
    coef: float = 0.0  # α_0 (adaptive) or the fixed coefficient

    def __post_init__(self) -> None:
        _check(self.target >= 0, f"entropy.target={self.target} must be >= 0")
        _check(self.delta >= 0, f"entropy.delta={self.delta} must be >= 0")
        _check(self.coef >= 0, f"entropy.coef={self.coef} must be >= 0")
        _check(not self.adaptive or self.coef <= self.coef_max,
               f"entropy.coef={self.coef} must be <= entropy.coef_max={self.coef_max}")


@dataclass(frozen=True)
class FilterConfig:
    online: bool = True  # drop all-0/all-1 groups and refill
    max_refills: int = 3  # extra prompt batches sampled per step to refill dropped groups
    offline: bool = True  # before each stage after the first, drop prompts solved in every sample
    offline_samples: int = 8
    offline_drop_unsolved: bool = False

    def __post_init__(self) -> None:
        _check(self.max_refills >= 0, f"filter.max_refills={self.max_refills} must be >= 0")
        _check(self.offline_samples >= 1, f"filter.offline_samples={self.offline_samples} must be >= 1")


def _help(text: str) -> dict[str, str]:
    """Field metadata: the help line a command-line flag built from the field shows (`config_flags.py`)."""
    return {"help": text}


@dataclass(frozen=True)
class VerifyConfig:
    """The math and code verifiers: how many processes, and their limits. The same settings in training
    (`reward.*`), `or1 eval`, `or1 verify` and the data pipeline's code check."""

    _section: ClassVar[str] = "verify"  # the dotted key's first part in error messages

    workers: int | None = field(default=None, metadata=_help("verifier processes (default: one per core)"))
    math_timeout_s: float = field(default=5.0, metadata=_help("seconds per math verification"))
    code_time_limit_s: float = field(default=6.0, metadata=_help("seconds per code test"))

    def __post_init__(self) -> None:
        k = self._section
        _check(self.workers is None or self.workers >= 1, f"{k}.workers={self.workers} must be >= 1")
        _check(self.math_timeout_s > 0, f"{k}.math_timeout_s={self.math_timeout_s} must be > 0")
        _check(self.code_time_limit_s > 0, f"{k}.code_time_limit_s={self.code_time_limit_s} must be > 0")


@dataclass(frozen=True)
class RewardConfig(VerifyConfig):
    """Verifiers (`VerifyConfig`'s keys) and their worker pools. A worker that dies is restarted after a
    backoff that doubles from `restart_backoff_s` to `restart_backoff_max_s` while restarts keep failing; a
    task its worker died under is re-run up to `task_retries` times, so a killed worker never zeroes a reward."""

    _section: ClassVar[str] = "reward"

    pool_start_timeout_s: float = 120.0  # seconds without any worker able to start before the run fails
    task_retries: int = 5  # re-runs of a task whose worker died under it (a timeout is never re-run)
    restart_backoff_s: float = 0.1  # seconds before the first restart of a worker that died at start
    restart_backoff_max_s: float = 5.0

    def __post_init__(self) -> None:
        super().__post_init__()
        _check(self.pool_start_timeout_s > 0,
               f"reward.pool_start_timeout_s={self.pool_start_timeout_s} must be > 0")
        _check(self.task_retries >= 0, f"reward.task_retries={self.task_retries} must be >= 0")
        _check(0 <= self.restart_backoff_s <= self.restart_backoff_max_s,
               f"reward.restart_backoff_s={self.restart_backoff_s} must be in [0, reward.restart_backoff_max_s="
               f"{self.restart_backoff_max_s}]")


@dataclass(frozen=True)
class EvalConfig:
    """How `or1 eval` samples and scores (DESIGN.md §4: K = 32 for AIME, 4 for LiveCodeBench; τ 0.6 for 7B,
    1.0 for 32B). The first seven keys (with the model) are an output folder's identity: a rerun with other
    values is refused instead of mixing samples."""

    k: int = field(default=32, metadata=_help("samples per problem (LiveCodeBench: 4)"))
    temperature: float = field(default=0.6, metadata=_help("sampling temperature (32B: 1.0)"))
    top_p: float = field(default=1.0, metadata=_help("nucleus sampling mass (1.0 = off)"))
    max_response_length: int = field(default=32768, metadata=_help("tokens per response"))
    seed: int = field(default=1234, metadata=_help("base seed of every sampling call"))
    chunk_problems: int = field(default=8, metadata=_help("problems per engine call, fixed for a folder"))
    max_problems: int | None = field(default=None, metadata=_help("only the first N problems of each file"))
    ex_name: str | None = field(default=None, metadata=_help("experiment name in pass.csv (default: the --out "
                                                             "folder name)"))
    max_batch: int = field(default=256, metadata=_help("responses decoded together"))
    dtype: WeightDtype = field(default="float32", metadata=_help("model dtype"))
    device: str = field(default="auto", metadata=_help("cpu, cuda, cuda:1, ... (auto: cuda when available)"))
    verify: VerifyConfig = field(default_factory=VerifyConfig)

    def __post_init__(self) -> None:
        _check(self.k >= 1, f"eval.k={self.k} must be >= 1")
        _check(self.temperature >= 0, f"eval.temperature={self.temperature} must be >= 0")
        _check(0 < self.top_p <= 1, f"eval.top_p={self.top_p} must be in (0, 1]")
        _check(self.max_response_length >= 1, f"eval.max_response_length={self.max_response_length} must be >= 1")
        _check(self.chunk_problems >= 1, f"eval.chunk_problems={self.chunk_problems} must be >= 1")
        _check(self.max_problems is None or self.max_problems >= 1,
               f"eval.max_problems={self.max_problems} must be >= 1")
        _check(self.max_batch >= 1, f"eval.max_batch={self.max_batch} must be >= 1")
        _check(self.temperature > 0 or self.k == 1,
               f"eval.temperature=0 is greedy: all eval.k={self.k} samples would be equal")


@dataclass(frozen=True)
class RayConfig:
    """Ray workers for the parts that outgrow one process (DESIGN.md §5). Off: everything runs in-process.

    On, `or1 train` starts a local Ray cluster, or joins the one at `address` ("auto", "host:port",
    or `--ray-address`). Rewards are computed by `reward_actors` verifier actors (a dead actor's requests
    are retried on a fresh one); `rollout_actors` > 0 also samples rollouts in HF-engine actors. With
    `rollout.mode: async` the rollout worker is one Ray actor instead, and `rollout_actors` must be 0.
    """

    enabled: bool = False
    address: str | None = None  # null = start a local cluster
    reward_actors: int = 2
    rollout_actors: int = 0  # 0 = the trainer process samples (or vLLM, by rollout.engine)
    max_retries: int = 3  # re-submissions of a batch part whose actor died

    def __post_init__(self) -> None:
        _check(self.reward_actors >= 1, f"ray.reward_actors={self.reward_actors} must be >= 1")
        _check(self.rollout_actors >= 0, f"ray.rollout_actors={self.rollout_actors} must be >= 0")
        _check(self.max_retries >= 0, f"ray.max_retries={self.max_retries} must be >= 0")


@dataclass(frozen=True)
class DistributedConfig:
    """Training precision (one process and torchrun) and FSDP2 options (under torchrun, one process per device)."""

    gpus: int = 0  # GPUs the config was written for (the paper's runs); torchrun decides the real world size
    # bf16 compute on fp32 master weights, gradients and AdamW state, at any world size: FSDP2 casts under
    # torchrun, torch.autocast in one process (docs/distributed.md "Precision"). Needs model.dtype float32.
    mixed_precision: bool = False
    activation_checkpointing: bool = False  # recompute each decoder layer's activations in backward

    def __post_init__(self) -> None:
        _check(self.gpus >= 0, f"distributed.gpus={self.gpus} must be >= 0")


@dataclass(frozen=True)
class ValidationConfig:
    """Held-out validation during training, as the original: every N steps, n samples at each τ."""

    every: int = 20  # steps; 0 = never
    n: int = 8
    temperatures: tuple[float, ...] = (0.6, 1.0)
    max_response_length: int | None = None  # null = the current stage's
    max_problems: int | None = None  # null = all rows of each data.val_files file; N = the first N of each

    def __post_init__(self) -> None:
        _check(self.every >= 0, f"validation.every={self.every} must be >= 0")
        _check(self.n >= 1, f"validation.n={self.n} must be >= 1")
        _check(all(t >= 0 for t in self.temperatures), "validation.temperatures must be >= 0")


@dataclass(frozen=True)
class WatchdogConfig:
    """A deadline per phase of a step; past it the trainer dumps every thread's stack to OUT/hang_<step>.txt
    and fails (`action: fail`) or logs and goes on (`warn`). Rollout, scoring, old-logprob, update and
    validation deadlines grow with the stage's response length past `reference_length`."""

    enabled: bool = True
    action: Literal["fail", "warn"] = "fail"
    reference_length: int = 16384  # tokens; deadlines below hold up to this max response length
    rollout_s: float = 7200.0  # the 32B run's steps took ~800 s of rollout at 16-24K (DESIGN.md §1)
    scoring_s: float = 3600.0
    old_logprob_s: float = 3600.0
    update_s: float = 7200.0
    weight_sync_s: float = 1800.0
    checkpoint_s: float = 3600.0
    validation_s: float = 14400.0

    def __post_init__(self) -> None:
        _check(self.reference_length >= 1, f"watchdog.reference_length={self.reference_length} must be >= 1")
        for name in ("rollout_s", "scoring_s", "old_logprob_s", "update_s", "weight_sync_s", "checkpoint_s",
                     "validation_s"):
            _check(getattr(self, name) > 0, f"watchdog.{name}={getattr(self, name)} must be > 0")


@dataclass(frozen=True)
class LoggingConfig:
    """Where a run's metrics and sampled responses go (`trainer/metrics_log.py`, `trainer/trackers.py`).

    metrics.jsonl is always written; W&B and MLflow are optional extras (`pip install 'or1[wandb]'`,
    `'or1[mlflow]'`) and keep one tracker run across resumes.
    """

    backends: tuple[str, ...] = ("jsonl", "tensorboard")  # any of jsonl, tensorboard, wandb, mlflow
    sample_every: int = 10  # steps between OUT/samples/step_N.jsonl files (and every validation); 0 = never
    sample_groups: int = 2  # prompts (each with its whole group) written per sampled step
    sample_chars: int = 4000  # of each prompt and response kept (head and tail)
    samples_max_mb: float = 200.0  # all samples files of the run together; past it no more are written
    run_name: str | None = None  # tracker run name; null = the out_dir's name
    wandb_project: str = "or1"
    wandb_entity: str | None = None
    mlflow_tracking_uri: str | None = None  # null = MLFLOW_TRACKING_URI, else sqlite:///OUT/mlflow.db
    mlflow_experiment: str = "or1"

    def __post_init__(self) -> None:
        known = ("jsonl", "tensorboard", "wandb", "mlflow")
        bad = [b for b in self.backends if b not in known]
        _check(not bad, f"logging.backends: unknown {bad}; known: {list(known)}")
        _check(self.sample_every >= 0, f"logging.sample_every={self.sample_every} must be >= 0")
        _check(self.sample_groups >= 1, f"logging.sample_groups={self.sample_groups} must be >= 1")
        _check(self.sample_chars >= 100, f"logging.sample_chars={self.sample_chars} must be >= 100")
        _check(self.samples_max_mb > 0, f"logging.samples_max_mb={self.samples_max_mb} must be > 0")


@dataclass(frozen=True)
class TrainConfig:
    """A whole RL run: all stages in one `or1 train`."""

    data: DataConfig
    stages: tuple[StageConfig, ...]
    out_dir: str = "runs/or1"
    seed: int = 0
    model: ModelConfig = field(default_factory=ModelConfig)
    rollout: RolloutConfig = field(default_factory=RolloutConfig)
    algo: AlgoConfig = field(default_factory=AlgoConfig)
    entropy: EntropyConfig = field(default_factory=EntropyConfig)
    filter: FilterConfig = field(default_factory=FilterConfig)
    reward: RewardConfig = field(default_factory=RewardConfig)
    validation: ValidationConfig = field(default_factory=ValidationConfig)
    ray: RayConfig = field(default_factory=RayConfig)
    distributed: DistributedConfig = field(default_factory=DistributedConfig)
    watchdog: WatchdogConfig = field(default_factory=WatchdogConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    checkpoint_every: int = 20  # steps; the last step is always saved
    keep_checkpoints: int = 2  # newest checkpoints kept on disk
    threads: int | None = None  # torch intra-op threads; null = torch's default

    def __post_init__(self) -> None:
        _check(len(self.stages) > 0, "stages must list at least one stage")
        for i, s in enumerate(self.stages):
            k = f"stages[{i}]"
            _check(s.steps >= 1, f"{k}.steps={s.steps} must be >= 1")
            _check(s.max_response_length >= 1, f"{k}.max_response_length={s.max_response_length} must be >= 1")
            _check(s.group_size >= 2, f"{k}.group_size={s.group_size} must be >= 2 (GRPO needs a group baseline)")
            _check(s.batch_size >= 1, f"{k}.batch_size={s.batch_size} must be >= 1")
            _check(1 <= s.mini_batch_size <= s.batch_size and s.batch_size % s.mini_batch_size == 0,
                   f"{k}.mini_batch_size={s.mini_batch_size} must divide {k}.batch_size={s.batch_size}")
            _check(s.temperature > 0, f"{k}.temperature={s.temperature} must be > 0 for sampling")
        _check(not (self.distributed.mixed_precision and self.model.dtype == "bfloat16"),
               "distributed.mixed_precision=true needs model.dtype: float32 (the fp32 master weights; the compute "
               "is bf16 either way)")
        _check(self.checkpoint_every >= 1, f"checkpoint_every={self.checkpoint_every} must be >= 1")
        _check(self.keep_checkpoints >= 1, f"keep_checkpoints={self.keep_checkpoints} must be >= 1")
        _check(self.validation.every == 0 or len(self.data.val_files) > 0,
               "validation.every > 0 needs data.val_files (set validation.every=0 to turn validation off)")
        if self.rollout.mode == "async":
            self._check_async()

    def _check_async(self) -> None:
        """Async rollouts sample with the HF engine in a worker (a process, or a Ray actor with `ray.enabled`);
        the trainer recomputes π_old on its current weights and corrects for the stale behaviour policy
        (`algo.tis_cap`, 2 when left null)."""
        _check(self.rollout.engine == "hf", f"rollout.mode=async samples with the HF engine in its worker; "
               f"rollout.engine={self.rollout.engine!r} is not supported there yet (use rollout.mode=sync)")
        _check(self.algo.recompute_old_logp, "rollout.mode=async needs algo.recompute_old_logp=true: the engine's "
               "log-probs come from weights up to rollout.max_staleness steps old (π_β), the PPO ratio needs "
               "π_old of the weights being trained")
        _check(not (self.ray.enabled and self.ray.rollout_actors), "rollout.mode=async with ray.enabled samples in "
               f"one Ray actor, the rollout worker; set ray.rollout_actors=0 (got {self.ray.rollout_actors})")
        if self.algo.tis_cap is None:  # on by default in async mode
            object.__setattr__(self, "algo", replace(self.algo, tis_cap=ASYNC_TIS_CAP))


# ---- Data pipeline steps (`or1 data STEP`, one `steps:` entry of a pipeline file; DESIGN.md §2) ----------
# Each step's options; `or1 data`'s flags and their --help defaults are read from these fields.

ABILITIES = ("math", "code")  # the verifier families (rewards/registry.py)
CODE_FORMATS = ("livecodebench", "taco", "leetcode")  # code releases `ingest` reads (data/ingest_code.py)
INGEST_FIELDS = ("problem", "answer", "tests", "source", "id", "solution", "ability", "extra")
_RANGE = re.compile(r"^\s*(\d*)\s*\.\.\s*(\d*)\s*$")

JUDGE_PROMPT = (
    "You review problems for a reinforcement-learning data set. A good problem is self-contained, "
    "unambiguous, needs no figure, and has exactly one correct final answer, which must match the "
    "reference answer.\n\nProblem:\n{problem}\n\nReference answer: {answer}\n\n"
    "Reply with one word, yes if the problem is good or no if it is not."
)


def parse_keep(spec: str) -> tuple[int | None, int | None]:
    """`"1..15"` -> (1, 15); either bound may be left out (`"..15"`, `"1.."`); `"7"` -> (7, 7).

    Raises:
        ValueError: not of that form, or low > high.
    """
    if spec.strip().isdigit():
        return int(spec), int(spec)
    m = _RANGE.match(spec)
    if not m:
        raise ValueError(f"select.keep={spec!r} must look like 1..15, ..15, 1.. or 7")
    lo, hi = (int(g) if g else None for g in m.groups())
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"select.keep={spec!r}: the low bound is above the high bound")
    return lo, hi


def _is_date(text: str) -> bool:
    from datetime import date

    try:
        date.fromisoformat(text[:10])
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class IngestOptions:
    """How to read raw rows.

    Attributes:
        mapping: field -> column name, for fields whose column is not named after them.
        format: file format; "auto" picks it from the extension (.jsonl/.json, .csv, .parquet). A code
            release format ("livecodebench", "taco", "leetcode"; ingest_code.py) reads every row in that
            layout, the file format still from the extension; with "auto" and no `problem` mapping, rows
            whose columns are those of a code release format are read in it.
        ability: ability of rows without an `ability` column ("math" or "code").
        data_source: `data_source` of rows without a `source` column.
        template: the user message; `{problem}` is replaced by the problem text (the raw problem is also
            kept in `extra_info.problem` for dedup and decontamination). The default of both abilities.
        template_math: the template of math rows; None = `template`. E.g. "{problem} Please reason step
            by step, and put your final answer within \\boxed{}."
        template_code: the template of code rows (mapped rows and code release formats); None = `template`.
            A math instruction such as "put your final answer within \\boxed{}" does not belong here: the
            code verifier reads the last ```python block.
        max_problem_chars: longer problems are rejected as too_long.
        max_answer_chars: longer math answers are rejected as too_long.
        split: written to `extra_info.split`.
    """

    mapping: dict[str, str] = field(default_factory=dict)
    format: Literal["auto", "jsonl", "csv", "parquet", "livecodebench", "taco", "leetcode"] = "auto"
    ability: str = "math"
    data_source: str = "ingested"
    template: str = "{problem}"
    template_math: str | None = None
    template_code: str | None = None
    max_problem_chars: int = 8000
    max_answer_chars: int = 512
    split: str = "train"

    def __post_init__(self) -> None:
        unknown = sorted(set(self.mapping) - set(INGEST_FIELDS))
        if unknown:
            raise ConfigError(f"ingest.mapping: unknown field(s) {', '.join(unknown)} "
                              f"(known: {', '.join(INGEST_FIELDS)})")
        for name in ("template", "template_math", "template_code"):
            value = getattr(self, name)
            if value is not None and "{problem}" not in value:
                raise ConfigError(f"ingest.{name}={value!r} must contain {{problem}}")
        if self.max_problem_chars < 1 or self.max_answer_chars < 1:
            raise ConfigError("ingest.max_problem_chars and ingest.max_answer_chars must be positive")
        if self.ability not in ABILITIES:
            raise ConfigError(f"ingest.ability={self.ability!r} must be one of {', '.join(ABILITIES)}")
        if self.format not in ("auto", "jsonl", "csv", "parquet", *CODE_FORMATS):
            raise ConfigError(f"ingest.format={self.format!r}: expected auto, jsonl, csv, parquet or one of "
                             f"{', '.join(CODE_FORMATS)}")

    def template_for(self, ability: str) -> str:
        """The user-message template of rows of `ability`: its own template if set, else `template`."""
        own = self.template_code if ability == "code" else self.template_math
        return own if own is not None else self.template


@dataclass(frozen=True)
class CleanOptions:
    """What `clean` checks.

    Attributes:
        drop_figures: drop problems that need a figure they do not contain (an embedded picture, or a
            reference to a figure with no Asymptote/TikZ drawing in the text).
        drop_inline_figures: also drop problems whose figure is drawn in the text as Asymptote/TikZ.
        drop_urls: drop problems containing a URL.
        check_answers: drop math rows whose gold answer does not parse as math.
        check_code: run `extra_info.solution` of code rows against their tests in the sandbox.
        workers: concurrent sandbox runs (default: one per core).
        time_limit_s: wall-clock limit per test of a reference solution.
    """

    drop_figures: bool = True
    drop_inline_figures: bool = False
    drop_urls: bool = True
    check_answers: bool = True
    check_code: bool = True
    workers: int | None = None
    time_limit_s: float = VerifyConfig.code_time_limit_s

    def __post_init__(self) -> None:
        if self.time_limit_s <= 0:
            raise ConfigError(f"clean.time_limit_s={self.time_limit_s} must be positive")


@dataclass(frozen=True)
class DedupOptions:
    """Near-duplicate settings.

    Attributes:
        threshold: estimated Jaccard similarity of word n-gram sets at or above which a row is a near
            duplicate of an earlier one (also the LSH band threshold).
        ngram: words per shingle.
        num_perm: MinHash permutations (the estimate's standard error is about sqrt(J(1-J)/num_perm)).
        seed: MinHash seed.
        max_clusters: clusters listed in the report (largest first); all are counted.
        solutions: also compare code rows on their normalised reference solutions.
        solution_min_tokens: tokens a normalised solution needs to count (short programs are shared by
            unrelated problems).
    """

    threshold: float = 0.7
    ngram: int = 3
    num_perm: int = 128
    seed: int = 1
    max_clusters: int = 1000
    solutions: bool = True
    solution_min_tokens: int = 30

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ConfigError(f"dedup.threshold={self.threshold} must be in (0, 1]")
        if self.solution_min_tokens < 1:
            raise ConfigError(f"dedup.solution_min_tokens={self.solution_min_tokens} must be >= 1")
        if self.ngram < 1 or self.num_perm < 16:
            raise ConfigError(f"dedup.ngram={self.ngram} must be >= 1 and dedup.num_perm={self.num_perm} >= 16")


@dataclass(frozen=True)
class DecontamOptions:
    """Decontamination settings.

    Attributes:
        against: evaluation files in the schema (parquet), e.g. aime24.parquet aime25.parquet, or packaged
            sets by name (aime24 aime25, `or1.problems.builtin`).
        ngram: words per n-gram for the overlap test (13 is the common choice).
        ngram_min_similarity: TF-IDF cosine a row needs with the eval problem for a shared n-gram to count.
        similarity: TF-IDF cosine at or above which a row is a paraphrase on its own.
        similarity_with_numbers: cosine that is a paraphrase when the numbers agree.
        similarity_with_evidence: lower cosine that is a paraphrase when numbers and rare words agree.
        similarity_with_all_numbers: lowest cosine, a paraphrase when all specific numbers agree.
        specific_digits: digits of shared numbers above 2 that make the numbers specific.
        numbers_min: share of the eval problem's numbers the row must state (none in the eval problem: met).
        rare_min: share of the eval problem's rare content words needed as evidence.
        common_frac: n-grams in at least this fraction of the eval problems are template phrases.
        template_rows: n-grams in this many training rows unlike the eval problem are template phrases.
        sample_min_numbers: numbers a code eval problem's samples need for the sample test.
        code_ngram_coverage: share of a code eval problem's n-grams a row must hold for the n-gram test.
        code_similarity: cosine that is a paraphrase of a code eval problem when the numbers agree.
        after: ISO date; compare only with eval problems dated on or after it and report, never remove.
    """

    against: tuple[str, ...] = ()
    ngram: int = 13
    ngram_min_similarity: float = 0.25
    similarity: float = 0.8
    similarity_with_numbers: float = 0.45
    similarity_with_evidence: float = 0.35
    similarity_with_all_numbers: float = 0.25
    specific_digits: int = 4
    numbers_min: float = 0.6
    rare_min: float = 0.5
    common_frac: float = 0.05
    template_rows: int = 2
    sample_min_numbers: int = 5
    code_ngram_coverage: float = 0.3
    code_similarity: float = 0.65
    after: str | None = None

    def __post_init__(self) -> None:
        if not self.against:
            raise ConfigError("decontaminate.against: give at least one evaluation file")
        if self.ngram < 1 or self.template_rows < 1 or self.sample_min_numbers < 1:
            raise ConfigError("decontaminate.ngram, template_rows and sample_min_numbers must be >= 1")
        if not 0.0 < self.common_frac <= 1.0:
            raise ConfigError(f"decontaminate.common_frac={self.common_frac} must be in (0, 1]")
        for name in ("ngram_min_similarity", "code_ngram_coverage", "code_similarity", "similarity",
                     "similarity_with_numbers", "similarity_with_evidence", "similarity_with_all_numbers",
                     "numbers_min", "rare_min"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"decontaminate.{name}={getattr(self, name)} must be in [0, 1]")
        if self.after is not None and not _is_date(self.after):
            raise ConfigError(f"decontaminate.after={self.after!r} must be an ISO date such as 2024-08-01")


@dataclass(frozen=True)
class DifficultyOptions:
    """How `difficulty` samples.

    Attributes:
        model: HF model directory to sample (any causal LM the rollout engine loads).
        model_name: key under `model_difficulty` (default: the directory's name).
        samples: N samples per problem (the paper: 16 for math, 8 for code).
        temperature, top_p, max_tokens: sampling (the paper samples as in training: τ 1.0, top-p 1.0).
        seed: chunk c is sampled with seed + c.
        chunk: problems per engine call and per progress record.
        max_batch: responses decoded together by the engine.
        workers: verifier worker processes (default: one per core).
        progress: progress file for resuming (None: no resume file).
        resample: sample rows that already have a value for this model.
    """

    model: str = ""
    model_name: str | None = None
    samples: int = 16
    temperature: float = 1.0
    top_p: float = 1.0
    max_tokens: int = 1024
    seed: int = 0
    chunk: int = 64
    max_batch: int = 256
    workers: int | None = None
    progress: str | None = None
    resample: bool = False

    def __post_init__(self) -> None:
        if not self.model:
            raise ConfigError("difficulty.model: give the model directory to sample")
        if self.samples < 1 or self.chunk < 1 or self.max_tokens < 1:
            raise ConfigError(f"difficulty.samples={self.samples}, .chunk={self.chunk} and "
                             f".max_tokens={self.max_tokens} must be >= 1")

    @property
    def key(self) -> str:
        """The `model_difficulty` key this run writes."""
        return self.model_name or Path(self.model).name


@dataclass(frozen=True)
class SelectOptions:
    """Which rows `select` keeps.

    Attributes:
        keep: inclusive range of failures to keep (`parse_keep`), the paper's 1..15 for 16 samples.
        model_name: the `model_difficulty` key, e.g. DeepSeek-R1-Distill-Qwen-7B.
    """

    keep: str = "1..15"
    model_name: str = ""

    def __post_init__(self) -> None:
        parse_keep(self.keep)
        if not self.model_name:
            raise ConfigError("select.model_name: name the base model whose difficulty to use "
                             "(a key of extra_info.model_difficulty, e.g. DeepSeek-R1-Distill-Qwen-7B)")


@dataclass(frozen=True)
class JudgeOptions:
    """How `judge` votes.

    Attributes:
        models: judge model directories; every judge votes `votes` times.
        votes: samples per judge and problem.
        min_votes: keep problems with at least this many votes over all judges.
        prompt: the template, with {problem} and {answer} (data/judge.py's docstring).
        accept, reject: case-insensitive regexes of a verdict for and against.
        temperature, top_p, max_tokens: sampling of the judges.
        seed: judge j samples chunk c with seed + 1000 * j + c.
        chunk: problems per engine call.
    """

    models: tuple[str, ...] = ()
    votes: int = 4
    min_votes: int = 2
    prompt: str = JUDGE_PROMPT
    accept: str = r"\byes\b"
    reject: str = r"\bno\b"
    temperature: float = 1.0
    top_p: float = 1.0
    max_tokens: int = 512
    seed: int = 0
    chunk: int = 64

    def __post_init__(self) -> None:
        if not self.models:
            raise ConfigError("judge.models: give at least one judge model directory")
        if self.votes < 1 or not 0 <= self.min_votes <= self.votes * len(self.models):
            raise ConfigError(f"judge.min_votes={self.min_votes} must be in 0..votes x judges "
                             f"({self.votes} x {len(self.models)}), judge.votes >= 1")
        if "{problem}" not in self.prompt:
            raise ConfigError("judge.prompt must contain {problem}")
        for key in ("accept", "reject"):
            try:
                re.compile(getattr(self, key))
            except re.error as e:
                raise ConfigError(f"judge.{key}={getattr(self, key)!r} is not a regex: {e}") from None
