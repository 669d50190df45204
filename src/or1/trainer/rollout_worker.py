"""The asynchronous rollout worker: a process that samples and scores training steps ahead of the trainer.

It holds its own copy of the policy (built from the trainer's model config), an HF engine on it, its own
verifiers and the prompt sampler. The trainer (`async_rollout.AsyncRollouts`) sends one request per step,
`(step, version, slot)`, in step order; the worker loads weight version `version` from shared-memory slot
`slot` (written by the trainer before the request), runs the stage's offline filter when the step opens a
stage, samples the step (`rollout_side.sample_step`: online filter and refills included) and sends back a
`WorkerResult`. Everything it returns is a function of (seed, step, the weights of `version`, the prompt
sampler's state), never of timing, so a restarted worker given the same requests returns the same batches.

Messages travel over one pipe as pickled bytes (tensors copied, no file descriptors to lose when a worker
dies). A worker whose trainer dies is killed with it (Linux parent-death signal).
"""

from __future__ import annotations

import contextlib
import ctypes
import pickle
import signal
import sys
import time
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import torch
from torch import Tensor
from transformers import AutoModelForCausalLM, PretrainedConfig, PreTrainedTokenizerBase

from or1.algo.stages import StageSchedule
from or1.config import TrainConfig
from or1.distributed import Precision, set_precision
from or1.policy import hf_engine
from or1.problems.schema import Problem
from or1.rewards.registry import RewardScorer
from or1.trainer.prompt_sampler import PromptSampler
from or1.trainer.rollout_side import StepRollouts, offline_filter, sample_step
from or1.trainer.samples_log import sample_due
from or1.trainer.setup import build_scorer

__all__ = ["PROCESS_NAME", "RolloutWorker", "WorkerFailure", "WorkerInit", "WorkerResult", "worker_main"]


@dataclass
class WorkerInit:
    """What the worker starts from: the run's settings and data, the policy's shape, and the prompt
    sampler's state (and last offline-filtered stage) before the first step it will be asked for."""

    cfg: TrainConfig
    model_config: PretrainedConfig
    dtype: torch.dtype
    precision: Precision
    tokenizer: PreTrainedTokenizerBase
    problems: list[Problem]
    prompt_ids: list[list[int]]
    sampler: dict[str, Any]
    filtered_stage: int
    threads: int | None


@dataclass
class WorkerResult:
    """One step's rollouts from weight version `version`, with the sampler's state after them.

    `idle_s` is how long the worker waited for this request after finishing the previous one
    (`async/rollout_wait_s`); `busy_s` how long the step took to sample and score.
    """

    step: int
    version: int
    rollouts: StepRollouts
    sampler: dict[str, Any]
    filtered_stage: int
    idle_s: float = 0.0
    busy_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class WorkerFailure:
    """The worker raised: its traceback, for the trainer's error."""

    traceback: str


PROCESS_NAME = b"or1-rollout"  # what ps and top show for the worker (/proc/PID/comm)


def _child_of_the_trainer() -> None:
    """On Linux: SIGKILL this process when the trainer dies, and name it `PROCESS_NAME` (else a no-op)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
            libc.prctl(15, ctypes.c_char_p(PROCESS_NAME))  # PR_SET_NAME


def _build_model(init: WorkerInit) -> torch.nn.Module:
    attn = getattr(init.model_config, "_attn_implementation", None)
    model = AutoModelForCausalLM.from_config(init.model_config, attn_implementation=attn)
    device = "cuda" if torch.cuda.is_available() else "cpu"  # a Ray actor sees only the GPU it was given
    model = model.to(device=device, dtype=init.dtype).eval()
    set_precision(model, init.precision)
    return model


class RolloutWorker:
    """The worker's state and its one operation: answer the request for a step from a weight version.

    The same in the worker process (`worker_main`) and in a Ray actor (`worker_channel.RayChannel`).
    """

    def __init__(self, init: WorkerInit) -> None:
        cfg = self.cfg = init.cfg
        if init.threads:
            torch.set_num_threads(init.threads)
        self.init = init
        self.model = _build_model(init)
        self.engine = hf_engine(self.model, init.tokenizer, cfg.rollout.max_batch)  # type: ignore[arg-type]
        self.scorer: RewardScorer = build_scorer(cfg.reward)
        self._closed = False
        self.sampler = PromptSampler(len(init.problems), cfg.seed, cfg.data.shuffle)
        self.sampler.load_state_dict(init.sampler)
        self.filtered, self.loaded, self.schedule = init.filtered_stage, -1, StageSchedule(cfg.stages)
        self.idle_from = time.perf_counter()

    def answer(self, step: int, version: int, weights: dict[str, Tensor] | None) -> WorkerResult:
        """Step `step`'s rollouts from weight version `version` (`weights`: that version's state dict, or
        None when it is the one loaded already)."""
        cfg, init, start = self.cfg, self.init, time.perf_counter()
        if version != self.loaded:
            assert weights is not None, f"weight version {version} was not sent"
            self.model.load_state_dict(weights)
            self.loaded = version
        stage, notes = self.schedule.at(step), []
        if stage.index > self.filtered:  # this step opens a stage: its offline filter first, as in sync mode
            self.filtered = stage.index
            if cfg.filter.offline:
                notes.append(offline_filter(self.engine, init.tokenizer, self.scorer, init.problems, self.sampler,
                                            stage, cfg, step))
        got = sample_step(self.engine, init.tokenizer, self.scorer, init.problems, init.prompt_ids, self.sampler,
                          stage, cfg, step, sample_due(cfg.logging, step + 1))
        got.notes = notes
        if got.batch is not None:
            got.batch.versions = torch.full((got.batch.response_ids.shape[0],), version, dtype=torch.long)
        done = time.perf_counter()
        res = WorkerResult(step, version, got, self.sampler.state_dict(), self.filtered,
                           idle_s=start - self.idle_from, busy_s=done - start)
        self.idle_from = done
        return res

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.scorer.close()


def worker_main(conn: Connection, init: WorkerInit, slots: list[dict[str, Tensor]]) -> None:
    """The worker process: answer `(step, version, slot)` requests until None or the pipe closes."""
    _child_of_the_trainer()
    worker = None
    try:
        worker = RolloutWorker(init)
        while True:
            try:
                request = conn.recv()
            except EOFError:  # the trainer closed the pipe
                break
            if request is None:
                break
            step, version, slot = request
            res = worker.answer(step, version, slots[slot] if version != worker.loaded else None)
            conn.send_bytes(pickle.dumps(res))
    except Exception:
        with contextlib.suppress(OSError):
            conn.send_bytes(pickle.dumps(WorkerFailure(traceback.format_exc())))
    finally:
        if worker is not None:
            worker.close()
