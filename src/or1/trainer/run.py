"""The state of a run between steps (`Run`) and `setup`, which builds it and rejects bad input first.

Setup order: the checkpoint to resume from is chosen (and verified) before any model is built; data is
checked row by row (`data_checks.py`); the policy and tokenizer are checked against the data
(`startup_checks.py`: context length, the `</think>` marker, the chat template); then optimiser, engine
and verifiers, the engine and the verifiers behind watchdog phases (`guards.py`).
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from or1.algo.entropy import AdaptiveEntropyController
from or1.algo.stages import StageSchedule
from or1.config import TrainConfig
from or1.config_load import dump_config, fingerprint
from or1.distributed import World, choose_precision, init_distributed, set_precision, wrap_model
from or1.distributed.dp_rollout import DataParallelEngine
from or1.distributed.rank_zero import RankZeroScorer
from or1.policy import build_policy
from or1.problems.schema import Problem
from or1.rewards.registry import RewardScorer
from or1.trainer.async_rollout import AsyncRollouts
from or1.trainer.checkpoint import load_checkpoint, restore_optimizer
from or1.trainer.danger_signs import DangerWatch
from or1.trainer.guards import GuardedEngine, GuardedScorer
from or1.trainer.metrics_log import MetricsLog, open_metrics_log, read_metrics
from or1.trainer.prompt_sampler import PromptSampler
from or1.trainer.resume import choose_checkpoint
from or1.trainer.rollout_side import RolloutSide, SamplingParts, sync_rollout_side
from or1.trainer.samples_log import SampleLog
from or1.trainer.setup import build_engine, build_optimizer, build_scorer, load_data
from or1.trainer.startup_checks import response_lengths, run_startup_checks
from or1.trainer.state import TrainState
from or1.trainer.watchdog import Watchdog

__all__ = ["Run", "setup"]

log = logging.getLogger(__name__)


@dataclass
class Run:
    """Everything a run holds between steps.

    `model` is the trained policy (FSDP-sharded under torchrun); `rollout_model` is the module the engine
    samples from: `model` itself in one process, a full copy on rank 0 under torchrun (None on other
    ranks). With the HF engine rank 0 alone samples and broadcasts each step's batch. A vLLM engine exists
    on every rank (it reads the sharded policy itself) and all ranks sample in lockstep, rank 0 scoring
    for all (`RankZeroScorer`). `rollouts` is where each step's batch comes from (`rollout_side.py`; the
    async worker with `rollout.mode: async`). `metrics` exists on rank 0 only; every rank has its own
    `watchdog`.
    """

    cfg: TrainConfig
    out: Path
    world: World
    model: PreTrainedModel
    rollout_model: PreTrainedModel | None
    tokenizer: PreTrainedTokenizerBase
    optimizer: torch.optim.Optimizer
    engine: GuardedEngine | None
    scorer: GuardedScorer | None
    problems: list[Problem]
    prompt_ids: list[list[int]]
    val_problems: list[Problem]
    schedule: StageSchedule
    state: TrainState
    metrics: MetricsLog | None
    watchdog: Watchdog
    rollouts: RolloutSide  # where each step's batch comes from (rollout_side.py)
    samples_log: SampleLog | None = None  # rank 0: which steps keep their responses (samples_log.py)
    danger: DangerWatch | None = None  # rank 0: warning lines on danger signs (danger_signs.py)

    @property
    def main(self) -> bool:
        return self.world.rank == 0

    @property
    def samples(self) -> bool:
        """Whether this rank runs the rollout loops (rank 0, or every rank in lockstep with vLLM)."""
        return self.engine is not None and self.scorer is not None


def setup(cfg: TrainConfig, resume: bool = False) -> Run:
    """Build the run; with `resume`, continue from the newest verified checkpoint in `out_dir` if any.

    Raises:
        CheckpointError: `out_dir` holds checkpoints but `resume` is off; `resume` on an out_dir with run output
            but no valid checkpoint; or the checkpoint's config differs.
        DataError / ConfigError / FileNotFoundError: bad data files (rows named) or model path; a model or
            tokenizer that cannot serve the data (`startup_checks.py`).
    """
    world = init_distributed()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    out = Path(cfg.out_dir)
    ckpt = choose_checkpoint(out, resume, world)  # verified, before any model is built
    fp = fingerprint(cfg)
    saved = load_checkpoint(ckpt, fp) if ckpt is not None else None  # checks the config before any work
    torch.manual_seed(cfg.seed)
    model, tok = build_policy(cfg.model, cfg.seed, path=ckpt / "model" if ckpt else None)
    problems, prompt_ids, val_problems, longest = _load_datasets(cfg, tok)
    run_startup_checks(cfg, model.config, tok, [*problems, *val_problems], longest)  # before any rollout
    e = cfg.entropy
    controller = AdaptiveEntropyController(e.target, e.delta, e.coef_max, e.coef if e.adaptive else 0.0)
    state = TrainState(PromptSampler(len(problems), cfg.seed, cfg.data.shuffle), controller, fp)
    device = _device(world)
    if not world.distributed:
        model = model.to(device)  # type: ignore[arg-type]  # FSDP2 moves each rank's shards itself under torchrun
    rollout_model = model if _colocated(cfg) or not world.distributed else \
        copy.deepcopy(model).to(device) if world.rank == 0 else None  # type: ignore[arg-type]  # transformers' wrapped .to
    d = cfg.distributed
    model = wrap_model(model, mixed_precision=d.mixed_precision, activation_checkpointing=d.activation_checkpointing)
    if rollout_model is not None and rollout_model is not model:  # rank 0's full copy samples as one process would
        set_precision(rollout_model, choose_precision(d.mixed_precision, 1, next(rollout_model.parameters()).dtype))
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
    watchdog = Watchdog(cfg.watchdog, out, world.rank, world.world_size)
    engine, scorer = _build_sampling(cfg, world, rollout_model, tok, watchdog)
    samples_log = SampleLog(cfg.logging, out) if main else None
    schedule = StageSchedule(cfg.stages)
    rollouts: RolloutSide = AsyncRollouts(cfg, world, model, rollout_model, tok, problems, prompt_ids, state,
                                          schedule.total_steps, watchdog) if cfg.rollout.mode == "async" else \
        sync_rollout_side(SamplingParts(cfg, engine, scorer, tok, problems, prompt_ids, samples_log), world, model,
                          rollout_model)
    return Run(cfg, out, world, model, rollout_model, tok, optimizer, engine, scorer, problems, prompt_ids,
               val_problems, schedule, state,
               open_metrics_log(cfg, out, resume_step=state.step if saved else None) if main else None, watchdog,
               rollouts, samples_log,
               DangerWatch(_first_entropy(out) if saved else None) if main else None)


def _first_entropy(out: Path) -> float | None:
    """The run's first logged entropy estimate (a resumed run's danger signs compare with it)."""
    path = out / "metrics.jsonl"
    rows = read_metrics(path) if path.is_file() else []
    return next((r["entropy/estimate"] for r in rows if r.get("entropy/estimate", 0) > 0), None)


def _device(world: World) -> torch.device:
    """This rank's GPU when there is one (the policy trains and samples there), else the CPU."""
    return torch.device("cuda", world.local_rank) if torch.cuda.is_available() else torch.device("cpu")


def _load_datasets(cfg: TrainConfig, tok: PreTrainedTokenizerBase
                   ) -> tuple[list[Problem], list[list[int]], list[Problem], int]:
    """Training problems with their encoded prompts, the validation problems, and the longest prompt (tokens).

    `validation.max_problems` applies to each validation file: a cut of the concatenation would never
    validate a second file (AIME25 after AIME24).
    """
    dc = cfg.data
    problems, prompt_ids = load_data(dc.train_files, tok, dc.max_prompt_length, dc.skip_invalid)
    val: list[Problem] = []
    longest = max(len(ids) for ids in prompt_ids)
    for f in dc.val_files:
        file_problems, file_ids = load_data((f,), tok, dc.max_prompt_length, dc.skip_invalid)
        n = cfg.validation.max_problems or len(file_problems)
        val += file_problems[:n]
        longest = max(longest, *(len(ids) for ids in file_ids[:n]))
    return problems, prompt_ids, val, longest


def _build_sampling(cfg: TrainConfig, world: World, rollout_model: PreTrainedModel | None,
                    tok: PreTrainedTokenizerBase, watchdog: Watchdog
                    ) -> tuple[GuardedEngine | None, GuardedScorer | None]:
    """The rollout engine and the verifiers of this rank, each behind its watchdog phase."""
    # vLLM refuses a request past max_model_len: validation may ask for longer responses than any stage
    max_len = cfg.data.max_prompt_length + max(n for _, n in response_lengths(cfg))
    # Async: the worker samples training steps; validation samples here, on the trainer's current weights.
    ray = cfg.ray if cfg.rollout.mode == "sync" else None
    engine = build_engine(cfg.rollout, rollout_model, tok, ray, max_model_len=max_len,
                          seed=cfg.seed) if rollout_model is not None else None
    scorer: RewardScorer | None = build_scorer(cfg.reward, cfg.ray) if world.rank == 0 else None
    if _colocated(cfg) and world.distributed:  # every rank samples in lockstep; rank 0 scores for all
        scorer = RankZeroScorer(scorer)
        engine = DataParallelEngine(engine, world, cfg.rollout.tensor_parallel_size,  # type: ignore[arg-type]
                                    tok.pad_token_id)
    return (GuardedEngine(engine, watchdog) if engine is not None else None,
            GuardedScorer(scorer, watchdog) if scorer is not None else None)


def _colocated(cfg: TrainConfig) -> bool:
    """A vLLM engine on every rank, fed from the (sharded) policy: all ranks sample in lockstep."""
    return cfg.rollout.engine == "vllm"
