"""The vLLM engine's pure parts: sampling-parameter mapping, output conversion, weight-sync bookkeeping.

Nothing here imports vLLM, so all of it is tested on CPU (tests/rollout/test_vllm_params.py).

Log-probs: the trainer's PPO ratio divides by π_old(token) = softmax(logits / τ)[token] (RolloutBatch.old_logp,
HFEngine's convention). vLLM returns log-probs of the raw logits by default ("raw_logprobs"); the engine
argument `logprobs_mode="processed_logprobs"` returns them after temperature (and top-k/top-p). It exists
since vLLM 0.10.0 and includes the temperature scaling since 0.10.2, hence `MIN_VLLM_VERSION`. With top_p < 1
vLLM's processed log-probs are renormalised over the nucleus while HFEngine's are not; the recipe samples
with top_p = 1.0, where the two agree. Greedy requests (τ = 0) come back at temperature 1, as HFEngine's.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import torch

from or1.rollout.types import RolloutBatch, SamplingParams

__all__ = [
    "LOGPROBS_MODE", "MIN_VLLM_VERSION", "Completion", "WeightSync", "check_vllm_version", "request_seed",
    "sampled_logprobs", "sampling_kwargs", "to_rollout_batch", "vllm_name", "vllm_requests", "weight_buckets",
]

LOGPROBS_MODE = "processed_logprobs"  # vLLM engine argument: log-probs after temperature, as the trainer's
MIN_VLLM_VERSION = (0, 10, 2)  # first release whose processed log-probs include the temperature


def check_vllm_version(version: str) -> None:
    """Raise when `version` (vllm.__version__, e.g. "0.11.0", "0.10.2rc1+cu128") predates MIN_VLLM_VERSION."""
    nums = [int(x) for x in re.findall(r"\d+", version.split("+")[0])[:3]]
    if tuple(nums + [0] * (3 - len(nums))) < MIN_VLLM_VERSION:
        need = ".".join(map(str, MIN_VLLM_VERSION))
        raise RuntimeError(f"vLLM {version} is too old: or1 needs vllm>={need} for logprobs_mode={LOGPROBS_MODE} "
                           "with temperature (pip install 'or1[vllm]')")


def request_seed(seed: int, index: int) -> int:
    """Seed of response `index` of a step sampled with `seed`: a stable hash, distinct across steps and rows.

    One request per response (n = 1): vLLM rejects n > 1 with greedy sampling, and a per-request seed
    keeps every response reproducible whatever order vLLM schedules them in.
    """
    digest = hashlib.blake2b(f"{seed}:{index}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") % (2**31 - 1)


def sampling_kwargs(params: SamplingParams, eos_ids: Sequence[int], seed: int) -> dict[str, Any]:
    """Keyword arguments of `vllm.SamplingParams` for ONE response (n = 1) of a request.

    temperature 0 is greedy (vLLM's own convention; top_p must then be 1); `logprobs=0` returns the
    sampled token's log-prob only; `stop_token_ids` are the EOS ids, and the stop token stays in the
    output ids (vLLM keeps it, as HFEngine does); `detokenize=False`: the trainer needs ids, not text.
    """
    if params.max_tokens < 1:
        raise ValueError(f"max_tokens must be >= 1, got {params.max_tokens}")
    greedy = params.temperature <= 0
    return {
        "n": 1,
        "temperature": 0.0 if greedy else float(params.temperature),
        "top_p": 1.0 if greedy else float(params.top_p),
        "max_tokens": int(params.max_tokens),
        "seed": int(seed),
        "logprobs": 0,
        "stop_token_ids": sorted(set(int(i) for i in eos_ids)),
        "detokenize": False,
    }


def vllm_requests(prompt_ids: Sequence[Sequence[int]], params: SamplingParams, eos_ids: Sequence[int],
                  seed: int, first_index: int = 0) -> list[tuple[list[int], dict[str, Any]]]:
    """N = P·G (prompt ids, sampling kwargs) pairs, the G responses of a prompt contiguous (a GRPO group).

    Response j is seeded with `request_seed(seed, first_index + j)`: a slice of a batch sampled with
    `first_index` = its first response's index in the batch gets exactly that part of the whole batch.
    """
    if params.n < 1:
        raise ValueError(f"n must be >= 1, got {params.n}")
    rows = [list(p) for p in prompt_ids for _ in range(params.n)]
    return [(r, sampling_kwargs(params, eos_ids, request_seed(seed, first_index + j))) for j, r in enumerate(rows)]



@dataclass(frozen=True)
class Completion:
    """One vLLM response as plain lists: `CompletionOutput.token_ids`, the sampled tokens' log-probs, and
    `finish_reason` ("stop": an EOS/stop token ended it, included in token_ids; "length": max_tokens hit)."""

    token_ids: list[int]
    logprobs: list[float]
    finish_reason: Literal["stop", "length"] | str | None


def sampled_logprobs(token_ids: Sequence[int], logprobs: Sequence[Mapping[int, Any]] | None) -> list[float]:
    """The sampled token's log-prob at every position of a vLLM `CompletionOutput.logprobs`.

    Each position maps token id -> `Logprob` (an object with `.logprob`) or a float; with `logprobs=0` it
    holds just the sampled token.
    """
    if logprobs is None:
        raise ValueError("vLLM returned no log-probs: the request must set logprobs=0")
    if len(logprobs) != len(token_ids):
        raise ValueError(f"{len(token_ids)} tokens but {len(logprobs)} log-prob entries")
    out = []
    for tok, entry in zip(token_ids, logprobs, strict=True):
        lp = entry[tok]
        out.append(float(getattr(lp, "logprob", lp)))
    return out


def to_rollout_batch(prompt_ids: Sequence[Sequence[int]], completions: Sequence[Completion], group_size: int,
                     pad_id: int) -> RolloutBatch:
    """vLLM responses -> RolloutBatch with HFEngine's conventions.

    The stop token is part of the response (mask True, its log-prob kept); `pad_id` and log-prob 0 after it;
    truncated = finish_reason "length" (no EOS emitted within max_tokens).
    Shapes: P prompts, N = P·G completions in group order -> (N, T) tensors, T = longest response.
    """
    n = len(prompt_ids) * group_size
    if len(completions) != n:
        raise ValueError(f"expected {n} completions ({len(prompt_ids)} prompts x {group_size}), got {len(completions)}")
    for i, c in enumerate(completions):
        if c.finish_reason not in ("stop", "length"):
            raise ValueError(f"completion {i}: finish_reason={c.finish_reason!r} (aborted?); expected stop or length")
        if not c.token_ids or len(c.logprobs) != len(c.token_ids):
            raise ValueError(f"completion {i}: {len(c.token_ids)} tokens, {len(c.logprobs)} log-probs")
    width = max(len(c.token_ids) for c in completions)
    response_ids = torch.full((n, width), pad_id, dtype=torch.long)  # (N, T)
    resp_mask = torch.zeros((n, width), dtype=torch.bool)  # (N, T)
    old_logp = torch.zeros((n, width), dtype=torch.float32)  # (N, T)
    for i, c in enumerate(completions):
        k = len(c.token_ids)
        response_ids[i, :k] = torch.tensor(c.token_ids, dtype=torch.long)
        resp_mask[i, :k] = True
        old_logp[i, :k] = torch.tensor(c.logprobs, dtype=torch.float32)
    truncated = torch.tensor([c.finish_reason == "length" for c in completions], dtype=torch.bool)  # (N,)
    return RolloutBatch(prompt_ids=[list(p) for p in prompt_ids], response_ids=response_ids, resp_mask=resp_mask,
                        old_logp=old_logp, truncated=truncated, group_size=group_size)


# Wrappers that add a component to parameter names: activation checkpointing (torch and HF), torch.compile,
# DDP and FSDP1. vLLM's `load_weights` takes the Hugging Face checkpoint names (it fuses q/k/v and
# gate/up itself), so these are stripped and nothing else is renamed.
_WRAPPER_PARTS = ("_checkpoint_wrapped_module.", "_orig_mod.", "_fsdp_wrapped_module.")


def vllm_name(name: str) -> str:
    """The checkpoint name vLLM expects for a trainer parameter name (wrapper components stripped)."""
    for part in _WRAPPER_PARTS:
        name = name.replace(part, "")
    return name.removeprefix("module.")  # DDP


def weight_buckets(sizes: Iterable[tuple[str, int]], max_bytes: int) -> list[list[str]]:
    """Split parameters, in order, into buckets of at most `max_bytes` each.

    `sizes` is (name, bytes) per parameter. A parameter larger than `max_bytes` goes alone in its own bucket
    (it cannot be split: vLLM's loaders take whole checkpoint tensors). Each name lands in exactly one bucket,
    so a sync materialises one bucket's full tensors at a time, never the whole 32B state dict.
    """
    if max_bytes < 1:
        raise ValueError(f"max_bytes must be >= 1, got {max_bytes}")
    buckets: list[list[str]] = []
    current: list[str] = []
    used = 0
    for name, nbytes in sizes:
        if current and used + nbytes > max_bytes:
            buckets.append(current)
            current, used = [], 0
        current.append(name)
        used += nbytes
    if current:
        buckets.append(current)
    return buckets


@dataclass
class WeightSync:
    """Which weights the engine has, relative to the trainer's.

    The trainer's version counts optimiser steps (`trained()`); the engine's is the trainer version it
    last loaded (`synced(v)`), -1 when it still holds the checkpoint it started from. A sync is needed only
    when they differ, so two rollouts without a step in between (validation, refill) never re-send.

    Attributes:
        bucket_bytes: byte budget of one transfer (2 GiB: a 32B model goes in ~33 pieces; its largest
            tensor, the 152064 x 5120 embedding, is 1.6 GB in bf16).
        trainer_version: optimiser steps taken (or loaded from a checkpoint).
        engine_version: the trainer version the engine samples from.
    """

    bucket_bytes: int = 2 << 30
    trainer_version: int = 0
    engine_version: int = -1
    sent_bytes: int = field(default=0, repr=False)

    @property
    def stale(self) -> bool:
        return self.engine_version != self.trainer_version

    def trained(self) -> int:
        """Record one optimiser step; returns the new trainer version."""
        self.trainer_version += 1
        return self.trainer_version

    def plan(self, named_params: Iterable[tuple[str, torch.Tensor]], dtype_bytes: int | None = None
             ) -> list[list[tuple[str, str]]]:
        """Buckets of (trainer name, vLLM name) to send: trainable parameters only, [] when up to date.

        Frozen parameters are left out: vLLM loaded them from the same checkpoint at start-up.
        `dtype_bytes`: element size on the wire (2 for bf16), default each parameter's own.
        """
        if not self.stale:
            return []
        params = [(n, p) for n, p in named_params if p.requires_grad]
        sizes = [(n, p.numel() * (dtype_bytes or p.element_size())) for n, p in params]
        return [[(n, vllm_name(n)) for n in b] for b in weight_buckets(sizes, self.bucket_bytes)]

    def synced(self, version: int | None = None, nbytes: int = 0) -> None:
        """Record that the engine now holds trainer version `version` (default: the current one)."""
        self.engine_version = self.trainer_version if version is None else version
        self.sent_bytes += nbytes
