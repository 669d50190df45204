"""Rollout workers on Ray: HF-engine actors, each sampling from its own copy of the policy (docs/ray.md).

The trainer keeps the model it optimises; `sync_weights()` ships its state dict to every actor once per
step (one `ray.put`, every actor loads the same object). A batch of prompts is cut into contiguous chunks,
one per actor, so a GRPO group never straddles two actors. Chunk i is sampled with `chunk_seed(seed, i)`:
the same seed and actor count give the same samples, and with one actor they are exactly what `HFEngine`
gives for `seed` in the trainer process.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor
from transformers import PretrainedConfig, PreTrainedModel

from or1.distributed.ray_cluster import import_ray, kill_quietly, map_with_retry, split_even
from or1.rollout.hf_engine import HFEngine
from or1.rollout.types import RolloutBatch, SamplingParams, cat_batches

__all__ = ["RayRolloutEngine", "chunk_seed"]


def chunk_seed(seed: int, i: int) -> int:
    """Sampling seed of chunk i: `seed` itself for chunk 0, a hash of (seed, i) for the others."""
    if i == 0:
        return seed
    digest = hashlib.blake2b(f"{seed}:{i}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1  # 63 bits: a valid torch.Generator seed


class _RolloutWorker:
    """The body of one rollout actor: a model copy and an `HFEngine` over it."""

    def __init__(self, model_cls: type[PreTrainedModel], config: PretrainedConfig, dtype: torch.dtype,
                 state: dict[str, Tensor], version: int, eos_ids: list[int], pad_id: int, max_batch: int) -> None:
        device = "cuda" if torch.cuda.is_available() else "cpu"  # Ray exposes only the GPUs it assigned
        self.model = model_cls(config).to(device=device, dtype=dtype)  # type: ignore[call-arg]  # wrapped .to
        self.engine = HFEngine(self.model, eos_ids, pad_id, max_batch)
        self.load(state, version)

    def load(self, state: dict[str, Tensor], version: int) -> int:
        self.model.load_state_dict(state)
        self.version = version
        return version

    def generate(self, prompt_ids: list[list[int]], params: SamplingParams, seed: int) -> tuple[int, RolloutBatch]:
        return self.version, self.engine.generate(prompt_ids, params, seed)

    def pid(self) -> int:
        return os.getpid()


class RayRolloutEngine:
    """`RolloutEngine` whose sampling runs in `actors` Ray actors holding copies of the trainer's model.

    Args:
        model: the trainer's policy; its class, config, dtype and current weights seed every actor.
        eos_ids, pad_id, max_batch: as in `HFEngine`.
        actors: rollout actors (`ray.rollout_actors`).
        max_retries: re-submissions of one chunk after its actor died (`ray.max_retries`).
        num_gpus: GPUs per actor (0 on CPU; 1 to give each actor its own GPU).
        state_dict_fn: returns the weights to ship, full and on any device; default `model.state_dict()`
            (pass a full-state-dict gather when the model is sharded with FSDP2).

    Attributes:
        version: weight version the actors hold; 1 at construction, +1 per `sync_weights()`. Every chunk
            reports the version it sampled with, and `generate` checks it is this one.
        retries: chunks re-submitted after an actor died, over the engine's life.
    """

    def __init__(self, model: PreTrainedModel, eos_ids: list[int], pad_id: int, *, actors: int = 2,
                 max_batch: int = 256, max_retries: int = 3, num_gpus: float = 0,
                 state_dict_fn: Callable[[], dict[str, Tensor]] | None = None) -> None:
        if actors < 1 or max_retries < 0:
            raise ValueError(f"need actors >= 1 and max_retries >= 0, got {actors} and {max_retries}")
        ray = import_ray()
        self.model, self.pad_id, self.max_retries = model, pad_id, max_retries
        self._state_fn = state_dict_fn or model.state_dict
        # Only ask for GPUs when there are some: naming any resource makes Ray hold a CPU per actor for life.
        self._cls = ray.remote(_RolloutWorker).options(**({"num_gpus": num_gpus} if num_gpus else {}))
        self._static = (type(model), model.config, next(model.parameters()).dtype)
        self._engine_args = (list(eos_ids), pad_id, max_batch)
        self.version, self.retries = 0, 0
        self._weights = self._put_weights()
        self.actors: list[Any] = [self._new_actor() for _ in range(actors)]

    def _put_weights(self) -> Any:
        """Store the trainer's current weights in the object store once; bump the version."""
        state = {k: v.detach().to("cpu", copy=True) for k, v in self._state_fn().items()}
        self.version += 1
        return import_ray().put(state)

    def _new_actor(self) -> Any:
        return self._cls.remote(*self._static, self._weights, self.version, *self._engine_args)

    def sync_weights(self) -> None:
        """Load the trainer's current weights into every actor; returns when all have them."""
        self._weights = self._put_weights()
        version = self.version
        _, retries = map_with_retry(self.actors, lambda a, i: a.load.remote(self._weights, version),
                                    self._replace, len(self.actors), self.max_retries, "rollout")
        self.retries += retries

    def generate(self, prompt_ids: list[list[int]], params: SamplingParams, seed: int) -> RolloutBatch:
        """Sample `params.n` responses per prompt across the actors; deterministic given `seed`.

        Shapes: as `HFEngine.generate`, N = P·G responses grouped contiguously, padded to the longest one.

        Raises:
            RuntimeError: a chunk's actor died more than `max_retries` times, or sampled with stale weights.
        """
        chunks = split_even(len(prompt_ids), len(self.actors))
        parts = [[prompt_ids[j] for j in r] for r in chunks]
        out, retries = map_with_retry(
            self.actors, lambda a, i: a.generate.remote(parts[i], params, chunk_seed(seed, i)),
            self._replace, len(chunks), self.max_retries, "rollout")
        self.retries += retries
        stale = sorted({v for v, _ in out} - {self.version})
        if stale:
            raise RuntimeError(f"rollout actors sampled with weight versions {stale}, current is {self.version}")
        return cat_batches([b for _, b in out], self.pad_id)

    def pids(self) -> list[int]:
        """Process id of each actor (on its node), in actor order."""
        return import_ray().get([a.pid.remote() for a in self.actors])

    def _replace(self, i: int) -> Any:
        kill_quietly(self.actors[i])
        return self._new_actor()  # built from the latest synced weights

    def close(self) -> None:
        """Stop the actors."""
        for a in self.actors:
            kill_quietly(a)
        self.actors = []
