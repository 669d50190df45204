"""How the trainer reaches its rollout worker: a spawned process (shared-memory weights, one pipe) or a Ray
actor (weights in the object store, one method call per step). `async_rollout.AsyncRollouts` drives either
through the same five calls; the worker itself (`rollout_worker.RolloutWorker`) is the same code in both.

Both keep s + 1 weight slots: version v lives in slot v mod (s + 1), written before any request that needs
it. Requests are answered in the order sent (one pipe; a Ray actor runs its calls one at a time, in
submission order), so results arrive in step order.
"""

from __future__ import annotations

import contextlib
import pickle
from collections import deque
from multiprocessing.connection import Connection
from typing import Any, Protocol

import torch
from torch import Tensor

from or1.trainer.rollout_worker import RolloutWorker, WorkerFailure, WorkerInit, WorkerResult, worker_main

__all__ = ["ProcessChannel", "RayChannel", "WorkerChannel", "WorkerGone"]


def _slot(slot_version: list[int], step: int, version: int) -> int:
    """The slot holding weight version `version`, which a request for `step` needs (written before it)."""
    slot = version % len(slot_version)
    assert slot_version[slot] == version, f"step {step} needs weight version {version}, slot {slot} holds " \
                                          f"{slot_version[slot]}"
    return slot


class WorkerGone(Exception):
    """The worker died (killed, out of memory, its node lost); the message says how, when known."""


class WorkerChannel(Protocol):
    """The trainer's line to one rollout worker."""

    def write(self, weights: dict[str, Tensor], version: int) -> None:
        """Publish weight version `version` in its slot (before requests that need it)."""
        ...

    def start(self, init: WorkerInit) -> None:
        """Start a worker from `init` (the previous one, if any, is stopped first)."""
        ...

    def send(self, step: int, version: int) -> None:
        """Ask for step `step` sampled from weight version `version`. Raises WorkerGone."""
        ...

    def receive(self, timeout_s: float) -> WorkerResult | None:
        """The next result, or None after `timeout_s`. Raises WorkerGone, or RuntimeError when it failed."""
        ...

    def close(self) -> None:
        """Stop the worker; idempotent."""
        ...


class ProcessChannel:
    """A spawned process (`rollout_worker.worker_main`) reading weights from shared-memory slots."""

    def __init__(self, weights: dict[str, Tensor], slots: int) -> None:
        self.slots = [{k: torch.empty_like(v, device="cpu").share_memory_() for k, v in weights.items()}
                      for _ in range(slots)]
        self.slot_version = [-1] * slots
        self._conn: Connection | None = None
        self._proc: Any = None

    def write(self, weights: dict[str, Tensor], version: int) -> None:
        slot = version % len(self.slots)
        with torch.no_grad():
            for k, v in weights.items():
                self.slots[slot][k].copy_(v)
        self.slot_version[slot] = version

    def start(self, init: WorkerInit) -> None:
        self.close()
        ctx = torch.multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        self._proc = ctx.Process(target=worker_main, args=(child, init, self.slots), name="or1-rollout-worker")
        self._proc.start()
        child.close()
        self._conn = parent

    def send(self, step: int, version: int) -> None:
        slot = _slot(self.slot_version, step, version)
        assert self._conn is not None
        try:
            self._conn.send((step, version, slot))
        except OSError as e:  # the worker died while the trainer was busy
            raise WorkerGone(self._exit()) from e

    def receive(self, timeout_s: float) -> WorkerResult | None:
        assert self._conn is not None
        try:
            if self._conn.poll(timeout_s):
                msg = pickle.loads(self._conn.recv_bytes())
                if isinstance(msg, WorkerFailure):
                    raise RuntimeError(f"the rollout worker failed:\n{msg.traceback}")
                return msg
        except (EOFError, OSError) as e:  # the pipe broke: the worker is gone
            raise WorkerGone(self._exit()) from e
        if not self._proc.is_alive() and not self._conn.poll(0):
            raise WorkerGone(self._exit())
        return None

    def close(self) -> None:
        """Ask the worker to stop, kill it after 10 s."""
        conn, proc, self._conn, self._proc = self._conn, self._proc, None, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.send(None)
            conn.close()
        if proc is not None:
            proc.join(10)
            if proc.is_alive():
                proc.kill()
                proc.join()

    def _exit(self) -> str:
        if self._proc is not None:
            self._proc.join(5)
        return f"exit code {self._proc.exitcode if self._proc is not None else None}"


class _RayWorker:
    """The body of the Ray actor: a `RolloutWorker`."""

    def __init__(self, init: WorkerInit) -> None:
        self.worker = RolloutWorker(init)

    def answer(self, step: int, version: int, weights: dict[str, Tensor] | None) -> WorkerResult:
        return self.worker.answer(step, version, weights)

    def pid(self) -> int:
        import os

        return os.getpid()


class RayChannel:
    """One Ray actor (`ray.enabled`), on any node of the cluster; weights go through the object store.

    A version's weights travel with the first request that needs them (Ray resolves the reference in the
    actor); later requests for the same version send none. A dead actor shows as `RayActorError` on its
    pending calls: the trainer starts a fresh actor and sends the outstanding requests again.

    Args:
        slots: weight versions kept (s + 1).
        num_gpus: GPUs the actor asks for (0 on CPU).
    """

    def __init__(self, slots: int, num_gpus: float = 0) -> None:
        from or1.distributed.ray_cluster import import_ray

        self.ray = import_ray()
        self.refs: list[Any] = [None] * slots
        self.slot_version = [-1] * slots
        self._cls = self.ray.remote(_RayWorker).options(max_restarts=0, **({"num_gpus": num_gpus} if num_gpus else {}))
        self.actor: Any = None
        self._calls: deque[Any] = deque()
        self._loaded = -1  # the version the actor holds after the calls sent so far

    def write(self, weights: dict[str, Tensor], version: int) -> None:
        slot = version % len(self.refs)
        self.refs[slot] = self.ray.put({k: v.detach().to("cpu", copy=True) for k, v in weights.items()})
        self.slot_version[slot] = version

    def start(self, init: WorkerInit) -> None:
        self.close()
        self.actor = self._cls.remote(init)
        self._loaded = -1

    def send(self, step: int, version: int) -> None:
        slot = _slot(self.slot_version, step, version)
        weights = None if version == self._loaded else self.refs[slot]
        self._calls.append(self.actor.answer.remote(step, version, weights))
        self._loaded = version

    def receive(self, timeout_s: float) -> WorkerResult | None:
        from or1.distributed.ray_cluster import is_dead_actor_error

        if not self._calls:
            return None
        ready, _ = self.ray.wait([self._calls[0]], timeout=timeout_s)
        if not ready:
            return None
        try:
            res = self.ray.get(self._calls.popleft())
        except Exception as e:
            if is_dead_actor_error(e):
                raise WorkerGone(f"Ray: {type(e).__name__}") from e
            raise RuntimeError(f"the rollout worker failed:\n{e}") from e
        return res

    def pid(self) -> int:
        """The actor's process id (on its node)."""
        return int(self.ray.get(self.actor.pid.remote()))

    def close(self) -> None:
        from or1.distributed.ray_cluster import kill_quietly

        if self.actor is not None:
            kill_quietly(self.actor)
        self.actor, self._calls = None, deque()
