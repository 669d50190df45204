"""Rollout engine on vLLM (GPU extra `or1[vllm]`, vllm >= 0.10.2), with weight sync from the trainer.

Layout: one vLLM engine per torchrun rank, in the trainer's own process and on its GPU (colocated, as the
original's verl hybrid engine). `VLLM_ENABLE_V1_MULTIPROCESSING=0` keeps vLLM's engine core in-process, so
`LLM.collective_rpc` hands tensors to the worker by reference; under torchrun the
`external_launcher` executor makes each group of `rollout.tensor_parallel_size` ranks one tensor-parallel
engine (every rank of a group must then call `generate` with the same prompts and seed).

Weight sync: `sync_weights(step)` walks the trainer's parameters in buckets of `WeightSync.bucket_bytes`
(vllm_params.py), all-gathers each FSDP2 shard (`DTensor.full_tensor()`, one parameter at a time, so a 32B
model is never whole on a GPU), casts to bf16 and calls the worker method `or1_load_weights` through
`LLM.collective_rpc`; it runs vLLM's `model.load_weights`, which takes Hugging Face checkpoint names and
shards them for its tensor-parallel rank. Then `LLM.reset_prefix_cache()`: cached prompt KV blocks were
computed with the old weights. GPU path: `pytest -m gpu tests/rollout/test_vllm_params.py` (docs/launch.md).
"""

from __future__ import annotations

import logging
import os
from typing import Any

import torch
from torch import Tensor

from or1.config import RolloutConfig
from or1.rollout.types import RolloutBatch, SamplingParams
from or1.rollout.vllm_params import (
    LOGPROBS_MODE,
    Completion,
    WeightSync,
    check_vllm_version,
    sampled_logprobs,
    to_rollout_batch,
    vllm_requests,
)

__all__ = ["VLLMEngine", "WeightLoaderExtension"]

log = logging.getLogger(__name__)

INSTALL_HINT = "rollout.engine=vllm needs the GPU extra: pip install 'or1[vllm]'"


def _import_vllm() -> Any:
    try:
        import vllm
    except ImportError:
        raise ImportError(INSTALL_HINT) from None
    check_vllm_version(vllm.__version__)
    return vllm


class WeightLoaderExtension:
    """Methods vLLM mixes into its GPU worker (`worker_extension_cls`), called via `LLM.collective_rpc`."""

    def or1_load_weights(self, weights: list[tuple[str, Tensor]]) -> int:
        """Load full (unsharded) checkpoint tensors by Hugging Face name; vLLM shards them for this rank."""
        self.model_runner.model.load_weights(weights=weights)  # type: ignore[attr-defined]
        return len(weights)


class VLLMEngine:
    """Samples with vLLM from the trainer's current weights.

    Args:
        model_path: HF directory or hub id of the starting weights (vLLM loads them itself).
        eos_ids: token ids that end a response.
        pad_id: id written after a response ends.
        trainer_model: the module whose parameters `sync_weights` pushes (None: never sync).
        tensor_parallel_size, gpu_memory_utilization: vLLM engine settings (rollout.*).
        max_model_len: prompt + response tokens a sequence may take (None: the model's own limit).
        seed: engine seed (the same on every rank of a tensor-parallel group).
        enable_sleep_mode: allow `sleep()`/`wake_up()` to free the GPU for the policy update.
        bucket_bytes: byte budget of one weight transfer.

    Raises:
        ImportError: vLLM is not installed (one line naming the extra to install).
        RuntimeError: the installed vLLM is older than 0.10.2.
    """

    def __init__(self, model_path: str, eos_ids: list[int], pad_id: int, *,
                 trainer_model: torch.nn.Module | None = None, tensor_parallel_size: int = 1,
                 gpu_memory_utilization: float = 0.6, max_model_len: int | None = None, seed: int = 0,
                 enable_sleep_mode: bool = False, bucket_bytes: int = 2 << 30) -> None:
        self._vllm = _import_vllm()
        if not eos_ids:
            raise ValueError("VLLMEngine needs at least one EOS token id")
        os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
        kwargs: dict[str, Any] = dict(
            model=model_path, tensor_parallel_size=tensor_parallel_size, dtype="bfloat16", seed=seed,
            gpu_memory_utilization=gpu_memory_utilization, logprobs_mode=LOGPROBS_MODE, enable_prefix_caching=True,
            enable_sleep_mode=enable_sleep_mode, worker_extension_cls=f"{__name__}.WeightLoaderExtension",
        )
        if max_model_len is not None:
            kwargs["max_model_len"] = max_model_len
        if int(os.environ.get("WORLD_SIZE", "1")) > 1:  # under torchrun: one engine per TP group of ranks
            kwargs["distributed_executor_backend"] = "external_launcher"
        self.llm = self._vllm.LLM(**kwargs)
        self.eos_ids, self.pad_id = sorted(set(eos_ids)), pad_id
        self.trainer_model = trainer_model
        self.sync = WeightSync(bucket_bytes=bucket_bytes)
        self._asleep = False

    @classmethod
    def from_config(cls, cfg: RolloutConfig, model: torch.nn.Module, tokenizer: Any, *,
                    max_model_len: int | None = None, seed: int = 0) -> VLLMEngine:
        """The engine for `rollout.*`, starting from the checkpoint `model` was loaded from, synced to `model`.

        `max_model_len` is data.max_prompt_length + the longest stage's max_response_length when given.
        """
        _import_vllm()  # the install hint comes before any other complaint
        from or1.rollout.prompts import eos_token_ids

        path = getattr(model, "name_or_path", None) or getattr(getattr(model, "config", None), "_name_or_path", "")
        if not path:
            raise ValueError("rollout.engine=vllm needs model.path (vLLM loads the starting weights itself); "
                             "the tiny CPU model has none: use rollout.engine=hf")
        return cls(str(path), eos_token_ids(tokenizer), tokenizer.pad_token_id, trainer_model=model,
                   tensor_parallel_size=cfg.tensor_parallel_size, gpu_memory_utilization=cfg.gpu_memory_utilization,
                   max_model_len=max_model_len, seed=seed, enable_sleep_mode=True)

    def generate(self, prompt_ids: list[list[int]], params: SamplingParams, seed: int,
                 first_index: int = 0) -> RolloutBatch:
        """Sample `params.n` responses per prompt, grouped contiguously; one seeded request per response.

        `first_index`: index of the first response within a larger batch this call samples a slice of
        (`DataParallelEngine`); the slice then equals that part of the whole batch.
        """
        if self._asleep:
            self.wake_up()
        reqs = vllm_requests(prompt_ids, params, self.eos_ids, seed, first_index)
        outs = self.llm.generate([{"prompt_token_ids": ids} for ids, _ in reqs],
                                 [self._vllm.SamplingParams(**kw) for _, kw in reqs], use_tqdm=False)
        completions = []
        for o in outs:  # LLM.generate returns outputs in request order
            c = o.outputs[0]
            ids = list(c.token_ids)
            completions.append(Completion(ids, sampled_logprobs(ids, c.logprobs), c.finish_reason))
        return to_rollout_batch(prompt_ids, completions, params.n, self.pad_id)

    def sync_weights(self, step: int | None = None) -> None:
        """Push the trainer's weights into vLLM when they changed since the last sync.

        Args:
            step: the trainer's optimiser step count; a repeated value is a no-op. None = assume new weights.
        Every rank calls this together (the FSDP2 all-gathers are collectives).
        """
        if self.trainer_model is None:
            return
        if step is None:
            self.sync.trained()
        else:
            self.sync.trainer_version = step
        named = dict(self.trainer_model.named_parameters())
        plan = self.sync.plan(named.items(), dtype_bytes=2)
        if not plan:
            return
        if self._asleep:
            self.wake_up()
        device = torch.device("cuda", torch.cuda.current_device())
        sent = 0
        for bucket in plan:
            weights = []
            for name, vname in bucket:
                t = named[name].detach()
                if hasattr(t, "full_tensor"):  # FSDP2 DTensor shard -> full tensor (all-gather)
                    t = t.full_tensor()
                weights.append((vname, t.to(device=device, dtype=torch.bfloat16)))
                sent += weights[-1][1].numel() * 2
            self.llm.collective_rpc("or1_load_weights", args=(weights,))
            del weights
        self.llm.reset_prefix_cache()
        self.sync.synced(nbytes=sent)
        log.info("vLLM weights synced to step %d (%.2f GB in %d buckets)", self.sync.engine_version, sent / 1e9,
                 len(plan))

    def sleep(self) -> None:
        """Free the KV cache and offload weights to CPU (colocated policy update); `generate` wakes it."""
        self.llm.sleep(level=1)
        self._asleep = True

    def wake_up(self) -> None:
        self.llm.wake_up()
        self._asleep = False

    def close(self) -> None:
        """Nothing beyond memory to release: vLLM's engine frees its GPU memory when this object goes."""
