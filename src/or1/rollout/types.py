"""What a rollout engine takes and returns (DESIGN.md §5, rollout/)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import torch
from torch import Tensor

__all__ = ["RolloutBatch", "RolloutEngine", "SamplingParams", "cat_batches", "pad_cat"]


@dataclass(frozen=True)
class SamplingParams:
    """How to sample. `n` responses per prompt are returned contiguously (a GRPO group).

    Attributes:
        n: responses per prompt (group size G).
        temperature: 1.0 in training (the recipe), 0.6 / 1.0 in validation; 0 means greedy.
        top_p: nucleus mass kept (1.0 = off, the recipe's value).
        max_tokens: max response length T; a response that has not emitted EOS by then is truncated.
    """

    n: int = 1
    temperature: float = 1.0
    top_p: float = 1.0
    max_tokens: int = 64


@dataclass
class RolloutBatch:
    """N = P·G sampled responses, right-padded to the longest one; the one batch type from sampling to update.

    Attributes:
        prompt_ids: the P prompts' token ids (unpadded), one entry per prompt, not per response.
        response_ids: (N, T) sampled tokens, EOS included when emitted, `pad_id` after it.
        resp_mask: (N, T) bool, True on real response tokens (EOS included).
        old_logp: (N, T) float32 log-prob of each sampled token under the sampling policy π_old,
            computed from logits / temperature (the distribution the trainer's ratio uses); 0 on padding.
        truncated: (N,) bool, True when the response hit `max_tokens` without EOS.
        group_size: G.
        rewards: (N,) float32 once the responses are scored (`sampling.generate_and_score`), else None.
        versions: (N,) int64 policy version (updates applied) of the weights each response was sampled from,
            set by the asynchronous rollout worker; None when sampled from the weights being trained.
    """

    prompt_ids: list[list[int]]
    response_ids: Tensor
    resp_mask: Tensor
    old_logp: Tensor
    truncated: Tensor
    group_size: int
    rewards: Tensor | None = None
    versions: Tensor | None = None

    @property
    def lengths(self) -> Tensor:
        return self.resp_mask.sum(-1)  # (N,)

    @property
    def num_groups(self) -> int:
        return len(self.prompt_ids)

    def scored(self) -> Tensor:
        """The (N,) rewards; a ValueError when the responses are not scored yet."""
        if self.rewards is None:
            raise ValueError("the batch is not scored (rewards are set by sampling.generate_and_score)")
        return self.rewards

    def row_prompts(self) -> list[list[int]]:
        """The prompt of each of the N rows (the same list object for a group's rows)."""
        return [p for p in self.prompt_ids for _ in range(self.group_size)]

    def groups(self, idx: list[int]) -> RolloutBatch:
        """The sub-batch of the given groups, in the given order (whole groups only)."""
        g = self.group_size
        t = torch.tensor([i * g + j for i in idx for j in range(g)], dtype=torch.long)
        return RolloutBatch([self.prompt_ids[i] for i in idx], self.response_ids[t], self.resp_mask[t],
                            self.old_logp[t], self.truncated[t], g,
                            None if self.rewards is None else self.rewards[t],
                            None if self.versions is None else self.versions[t])


def pad_cat(parts: Sequence[Tensor], value: float | int | bool, width: int | None = None) -> Tensor:
    """Concatenate row blocks, each right-padded with `value` to `width` columns (default: the widest block).

    Shapes: parts[i] (N_i, T_i) -> (ΣN_i, width).
    """
    w = max(t.shape[1] for t in parts) if width is None else width
    return torch.cat([torch.nn.functional.pad(t, (0, w - t.shape[1]), value=value) for t in parts])


def cat_batches(parts: list[RolloutBatch], pad_id: int) -> RolloutBatch:
    """Concatenate batches over responses, right-padding (N_i, T_i) tensors to the widest T; the only
    concatenator (engines' chunks, data-parallel ranks' shares, the trainer's kept groups).

    Rewards (and policy versions) are concatenated when every part has them. Shapes: parts[i].response_ids (N_i, T_i) ->
    (ΣN_i, max T_i); prompt_ids concatenated likewise.
    """
    scored = all(p.rewards is not None for p in parts)
    versioned = all(p.versions is not None for p in parts)
    return RolloutBatch(
        prompt_ids=[ids for p in parts for ids in p.prompt_ids],
        response_ids=pad_cat([p.response_ids for p in parts], pad_id),  # (N, T)
        resp_mask=pad_cat([p.resp_mask for p in parts], False),  # (N, T)
        old_logp=pad_cat([p.old_logp for p in parts], 0.0),  # (N, T)
        truncated=torch.cat([p.truncated for p in parts]),  # (N,)
        group_size=parts[0].group_size,
        rewards=torch.cat([p.scored() for p in parts]) if scored else None,  # (N,)
        versions=torch.cat([p.versions for p in parts if p.versions is not None]) if versioned else None,  # (N,)
    )


class RolloutEngine(Protocol):
    """Anything that samples responses for tokenised prompts: the HF engine (any device) or vLLM (GPU)."""

    def generate(self, prompt_ids: list[list[int]], params: SamplingParams, seed: int) -> RolloutBatch:
        """Sample `params.n` responses per prompt; the same seed gives the same samples."""
        ...

    def sync_weights(self) -> None:
        """Make the engine sample from the trainer's current weights (no-op when it shares the model)."""
        ...

    def close(self) -> None:
        """Release what the engine holds beyond memory (actors, processes); idempotent."""
        ...
