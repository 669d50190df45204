"""Asynchronous rollouts (`rollout.mode: async`): a worker samples ahead while the trainer updates.

With staleness s = `rollout.max_staleness`, the batch of step k is sampled from weight version
v(k) = max(0, k - s), version = steps done (a step without an update, every group filtered out, repeats
the weights as the next version). Version k - s exists once step k - s - 1 is done, so while the trainer
updates on step k the worker can sample steps k+1 .. k+s. Worked example, s = 1:

    trainer:  wait b0 | update on b0 -> v1 | update on b1 -> v2 | update on b2 -> v3
    worker:   b0 (v0) | b1 (v0)            | b2 (v1)            | b3 (v2)

Each batch is a function of (seed, step, the weights of v(k), the prompt sampler's state) only: requests
go out in step order, the worker chains the sampler, and nothing depends on when a result arrives. So
two runs with the same seed and s are bitwise equal however loaded the machine is.

Weights reach the worker through s + 1 slots (`worker_channel.py`: shared memory for a process, the object
store for a Ray actor): version v is written to slot v mod (s + 1) after the step that makes it, then the
requests that need it are sent. The slot it overwrites held version v - s - 1, which only batches up to
step v - 1 used, all consumed by then.

A checkpoint after step k holds the batches of steps k .. k+s-1 (sampled from older weights, which the
checkpoint does not hold) and the sampler's state after them; the trainer waits for them before it
saves. Resume restores them and asks for step k+s from the checkpoint's weights: the resumed run is the
uninterrupted one. A worker that dies is started again from the sampler state after its last result and
sent the outstanding requests; it returns what the dead one would have.

Under torchrun, rank 0 runs the worker and broadcasts each batch; every rank takes part in gathering the
weights after an update (rank 0's full copy also serves validation).
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from or1.algo.stages import Stage
from or1.config import TrainConfig
from or1.distributed import World, broadcast_object, full_state_dict, precision_of
from or1.problems.schema import Problem
from or1.trainer.rollout_side import StepRollouts
from or1.trainer.rollout_worker import WorkerInit, WorkerResult
from or1.trainer.state import TrainState
from or1.trainer.watchdog import Watchdog
from or1.trainer.worker_channel import ProcessChannel, RayChannel, WorkerChannel, WorkerGone

if TYPE_CHECKING:
    from rich.progress import Progress

__all__ = ["AsyncRollouts", "batch_version"]

log = logging.getLogger(__name__)

MAX_RESTARTS = 3  # worker deaths in a row (no result in between) before the run stops


def batch_version(step: int, staleness: int) -> int:
    """The weight version the batch of `step` is sampled from: max(0, step - staleness)."""
    return max(0, step - staleness)


class AsyncRollouts:
    """The trainer's side of the rollout worker (`rollout_worker.py`): requests, weights, results, restarts.

    Args:
        model: the trained policy (FSDP-sharded under torchrun).
        rollout_model: the module whose weights the worker gets: `model` in one process, rank 0's full copy
            under torchrun (which validation samples too); None on other ranks.
        state: the train state; a resumed one holds the pending batches in `extra["rollouts"]`.
        total_steps: the schedule's length (no step past it is requested).
        watchdog: waiting for a batch runs under its rollout deadline.
    """

    def __init__(self, cfg: TrainConfig, world: World, model: nn.Module, rollout_model: PreTrainedModel | None,
                 tokenizer: PreTrainedTokenizerBase, problems: list[Problem], prompt_ids: list[list[int]],
                 state: TrainState, total_steps: int, watchdog: Watchdog) -> None:
        self.cfg, self.world, self.s, self.total = cfg, world, cfg.rollout.max_staleness, total_steps
        self.model, self.rollout_model, self.watchdog = model, rollout_model, watchdog
        saved = state.extra.pop("rollouts", {})
        self.pending: dict[int, WorkerResult] = {r.step: r for r in saved.get("pending", [])}
        self.version = state.step  # steps done: the version of the weights the trainer holds
        self.restarts, self._in_a_row = 0, 0
        self._channel: WorkerChannel | None = None
        if rollout_model is None:  # a torchrun rank other than 0: it only receives the broadcast batches
            return
        weights = rollout_model.state_dict()
        self._channel = _channel(cfg, weights, self.s + 1)
        self._channel.write(weights, self.version)
        last = max(self.pending, default=state.step - 1)
        self.next_step = last + 1  # the next step to request
        self.outstanding: list[int] = []  # steps requested, no result yet (in order)
        # The sampler's state after the last step with a result (the worker restarts from it).
        self._chain = (state.sampler.state_dict(), state.filtered_stage)
        self._init = WorkerInit(cfg, rollout_model.config, next(rollout_model.parameters()).dtype,
                                precision_of(rollout_model), tokenizer, problems, prompt_ids, *self._chain,
                                cfg.rollout.worker_threads)
        self._consumed = self._chain  # the sampler's state after the last step the trainer took
        self._start()

    # ---- the protocol --------------------------------------------------------------------------------

    def collect(self, state: TrainState, stage: Stage, bar: Progress | None = None) -> StepRollouts:
        """Step `state.step`'s batch: from the pending results, else waited for (under the rollout
        deadline); rank 0's result broadcast to every rank under torchrun."""
        got = StepRollouts(None, {})
        if self._channel is not None:
            step, t0 = state.step, time.perf_counter()
            self._request()
            with self.watchdog.phase("rollout"):
                res = self._wait_for(step)
            wait = time.perf_counter() - t0
            del self.pending[step]
            self._consumed = (res.sampler, res.filtered_stage)
            got = replace(res.rollouts, metrics=res.rollouts.metrics | {
                "async/staleness": float(step - res.version), "async/trainer_wait_s": wait,
                "async/rollout_wait_s": res.idle_s, "async/rollout_s": res.busy_s,
                "async/worker_restarts": float(self.restarts)})
        if self.world.distributed:
            got.batch, got.metrics = broadcast_object((got.batch, got.metrics))
        return got

    def after_step(self, updated: bool) -> None:
        """Write the step's weights to the next version's slot and send the requests they allow (every rank
        gathers). A step without an update repeats the previous version's weights: versions count steps."""
        if updated and self.world.distributed:
            weights = full_state_dict(self.model)  # a collective: every rank calls it; full on rank 0 only
            if self.rollout_model is not None:
                self.rollout_model.load_state_dict(weights)  # rank 0's copy: validation samples it
        if self._channel is None:
            return
        assert self.rollout_model is not None  # one process: the trained model itself
        self.version += 1
        self._channel.write(self.rollout_model.state_dict(), self.version)
        self._request()

    def checkpoint_state(self, state: TrainState) -> dict[str, Any]:
        """The batches of steps k .. k+s-1 (waited for) and the sampler's state after them, k = state.step.

        Sets the train state's sampler and offline-filter stage to where the worker's chain stands after
        those batches, so the checkpoint resumes the worker exactly there.
        """
        if self._channel is None:
            return {}
        k = state.step
        keep = list(range(k, min(k + self.s, self.total)))
        with self.watchdog.phase("rollout"):  # a hung worker meets the rollout deadline here too
            for step in keep:
                self._wait_for(step)
        last = self.pending[keep[-1]] if keep else None
        sampler, filtered = (last.sampler, last.filtered_stage) if last is not None else self._consumed
        state.sampler.load_state_dict(sampler)
        state.filtered_stage = filtered
        return {"pending": [self.pending[step] for step in keep]}

    def close(self) -> None:
        """Stop the worker (asked first, killed after 10 s); idempotent."""
        if self._channel is not None:
            self._channel.close()

    # ---- requests, results and restarts ---------------------------------------------------------------

    def _request(self) -> None:
        """Send every step whose weight version exists now, in step order."""
        while self.next_step < self.total and batch_version(self.next_step, self.s) <= self.version:
            self.outstanding.append(self.next_step)
            self.next_step += 1
            try:
                self._send(self.outstanding[-1])
            except WorkerGone as e:  # it died while the trainer was busy: a new one gets every outstanding step
                self._restart(str(e))

    def _send(self, step: int) -> None:
        assert self._channel is not None
        self._channel.send(step, batch_version(step, self.s))

    def _wait_for(self, step: int) -> WorkerResult:
        if step not in self.pending and step not in self.outstanding:
            raise RuntimeError(f"step {step}'s batch was never requested (next request: step {self.next_step}, "
                               f"weight version {self.version})")
        while step not in self.pending:
            res = self._receive()
            self.pending[res.step] = res
            self.outstanding.remove(res.step)
            self._chain, self._in_a_row = (res.sampler, res.filtered_stage), 0
        return self.pending[step]

    def _receive(self) -> WorkerResult:
        """The worker's next result; a worker that died is started again and sent what it owed."""
        assert self._channel is not None
        while True:
            try:
                res = self._channel.receive(0.2)
            except WorkerGone as e:
                self._restart(str(e))
                continue
            if res is not None:
                return res

    def _start(self) -> None:
        assert self._channel is not None
        self._channel.start(replace(self._init, sampler=self._chain[0], filtered_stage=self._chain[1]))
        for step in self.outstanding:
            self._send(step)

    def _restart(self, how: str) -> None:
        self.restarts += 1
        self._in_a_row += 1
        if self._in_a_row > MAX_RESTARTS:
            raise RuntimeError(f"the rollout worker died {MAX_RESTARTS + 1} times in a row (last: {how}); "
                               "see its output above")
        log.warning("the rollout worker died (%s) with steps %s outstanding: starting it again (restart %d)",
                    how, self.outstanding, self.restarts)
        self._start()


def _channel(cfg: TrainConfig, weights: dict[str, Tensor], slots: int) -> WorkerChannel:
    """A Ray actor when `ray.enabled` (joining or starting the cluster), else a spawned process."""
    if cfg.ray.enabled:
        from or1.distributed.ray_cluster import start_or_join

        start_or_join(cfg.ray.address)
        return RayChannel(slots, num_gpus=1 if torch.cuda.is_available() else 0)
    return ProcessChannel(weights, slots)
