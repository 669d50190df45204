"""Everything a resume needs besides weights and optimiser moments, in one place (STYLE.md "Trainer")."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from or1.algo.entropy import AdaptiveEntropyController
from or1.trainer.prompt_sampler import PromptSampler

__all__ = ["TrainState", "rng_state", "set_rng_state"]


def rng_state() -> dict[str, Any]:
    return {"torch": torch.get_rng_state(), "python": random.getstate(), "numpy": np.random.get_state()}


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])


@dataclass
class TrainState:
    """Resume state of a run.

    Attributes:
        step: the next step to run (0-based); a checkpoint at step s holds the state after s steps.
        filtered_stage: index of the last stage whose start-of-stage offline filter has run (-1: none).
        sampler: prompt order and position (data-sampler position).
        controller: the adaptive entropy controller (its α is resume state: the original lost it).
        fingerprint: hash of the config that shaped the run (`config_load.fingerprint`).
        empty_steps: steps so far whose groups were all filtered out even after refills (nothing trained);
            logged as `filter/empty_steps`. Checkpoints written before it existed load with 0.
    """

    sampler: PromptSampler
    controller: AdaptiveEntropyController
    fingerprint: str
    step: int = 0
    filtered_stage: int = 0
    empty_steps: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def state_dict(self) -> dict[str, Any]:
        return {"step": self.step, "filtered_stage": self.filtered_stage, "sampler": self.sampler.state_dict(),
                "controller": self.controller.state_dict(), "fingerprint": self.fingerprint,
                "rng": rng_state(), "empty_steps": self.empty_steps, "extra": dict(self.extra)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.step, self.filtered_stage = int(state["step"]), int(state["filtered_stage"])
        self.sampler.load_state_dict(state["sampler"])
        self.controller.load_state_dict(state["controller"])
        self.fingerprint, self.extra = state["fingerprint"], dict(state.get("extra", {}))
        self.empty_steps = int(state.get("empty_steps", 0))
        set_rng_state(state["rng"])
