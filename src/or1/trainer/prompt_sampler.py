"""Deterministic prompt sampler with a resumable position."""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["PromptSampler"]


class PromptSampler:
    """Yields indices of active prompts epoch by epoch; its state makes resume exact.

    Each epoch is a fresh permutation seeded by (seed, epoch), so the order never depends on history
    beyond (epoch, position). `set_active` (the offline filter) restarts the epoch over the kept prompts.

    Args:
        num_items: number of prompts.
        seed: base seed of the permutations.
        shuffle: permute each epoch (else the file order).
    """

    def __init__(self, num_items: int, seed: int, shuffle: bool = True) -> None:
        if num_items < 1:
            raise ValueError("PromptSampler needs at least one prompt")
        self.seed, self.shuffle = seed, shuffle
        self.active: list[int] = list(range(num_items))
        self.epoch, self.pos = 0, 0
        self._order = self._permutation()

    def _permutation(self) -> list[int]:
        if not self.shuffle:
            return list(self.active)
        gen = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        return [self.active[i] for i in torch.randperm(len(self.active), generator=gen).tolist()]

    def next(self, k: int) -> list[int]:
        """The next `k` prompt indices, wrapping into new epochs as needed."""
        out: list[int] = []
        while len(out) < k:
            if self.pos >= len(self._order):
                self.epoch, self.pos = self.epoch + 1, 0
                self._order = self._permutation()
            take = self._order[self.pos : self.pos + k - len(out)]
            out.extend(take)
            self.pos += len(take)
        return out

    def set_active(self, indices: list[int]) -> None:
        """Restrict sampling to `indices` (kept by the offline filter) and start a new epoch."""
        if not indices:
            raise ValueError("the offline filter kept no prompt: nothing left to train on")
        self.active = sorted(indices)
        self.epoch, self.pos = self.epoch + 1, 0
        self._order = self._permutation()

    def state_dict(self) -> dict[str, Any]:
        return {"active": list(self.active), "epoch": self.epoch, "pos": self.pos, "seed": self.seed,
                "shuffle": self.shuffle}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.active, self.epoch, self.pos = list(state["active"]), int(state["epoch"]), int(state["pos"])
        self.seed, self.shuffle = int(state["seed"]), bool(state["shuffle"])
        self._order = self._permutation()
